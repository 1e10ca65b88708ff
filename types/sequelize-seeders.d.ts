// bulkInsert's `ignoreDuplicates` (INSERT IGNORE / INSERT OR IGNORE) works at run time in
// Sequelize 6 but is missing from QueryOptions' typings; seeders rely on it to be re-runnable.
import 'sequelize';

declare module 'sequelize' {
  interface QueryOptions {
    ignoreDuplicates?: boolean;
  }
}
