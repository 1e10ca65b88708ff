# One image for the API, the worker and operator commands (sequelize-cli, amt).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts=false && npm cache clean --force
COPY . .
USER node
EXPOSE 3000
CMD ["npm", "start"]
