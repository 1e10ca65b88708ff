import { decodeCursor, encodeCursor, type Paged } from '../http/pagination';
import { problems } from '../http/problem';
import { approvalKinds, type ApprovalKind, type Decider, type InboxAfter, type PendingItem } from './kit';

/** One line of the approvals inbox. */
export interface InboxItem {
  kind: string;
  id: number;
  amount: string;
  requestedBy: number | null;
  requestedAt: string;
  regionId: number | null;
  accountId: number | null;
  employeeId: number | null;
  url: string;
  approveUrl: string;
  rejectUrl: string;
}

const API = '/api/v1';

function inboxItem(kind: ApprovalKind<any>, item: PendingItem): InboxItem {
  const url = `${API}${kind.basePath}/${item.id}`;
  return {
    kind: kind.kind,
    id: item.id,
    amount: item.amount,
    requestedBy: item.requestedBy,
    requestedAt: item.requestedAt.toISOString(),
    regionId: item.regionId,
    accountId: item.accountId,
    employeeId: item.employeeId,
    url,
    approveUrl: `${url}/${kind.approveVerb ?? 'approve'}`,
    rejectUrl: `${url}/reject`,
  };
}

/** The cursor: the last item's (requestedAt, kind, id), the inbox's sort key. */
function decodeInboxCursor(cursor: string): { at: Date; kind: string; id: number } {
  const [at, kind, id] = decodeCursor(cursor, 3);
  const date = typeof at === 'string' ? new Date(at) : null;
  if (date && !Number.isNaN(date.getTime()) && typeof kind === 'string' && typeof id === 'number' && Number.isSafeInteger(id) && id > 0) {
    return { at: date, kind, id };
  }
  throw problems.validation([{ field: 'cursor', message: 'cursor is not valid for this list' }]);
}

/**
 * Every pending item the decider may decide, across the kinds whose decide permission their role
 * grants, oldest first by (requestedAt, kind, id). Their own requests are left out: they cannot
 * decide them (four eyes). Each kind reads at most limit + 1 items after the cursor; the merge
 * keeps the first limit + 1 (the extra one only says there is a next page).
 */
export async function approvalsInbox(decider: Decider, q: { limit: number; cursor?: string }): Promise<Paged<InboxItem>> {
  const cursor = q.cursor ? decodeInboxCursor(q.cursor) : undefined;
  const kinds = approvalKinds().filter((k) => decider.permissions.has(k.decidePermission));
  const afterFor = (kind: string): InboxAfter | undefined => {
    if (!cursor) return undefined;
    if (kind === cursor.kind) return { at: cursor.at, afterId: cursor.id };
    // At the cursor's instant, kinds sorting after the cursor's still come; those before have been shown.
    return { at: cursor.at, strict: kind < cursor.kind };
  };
  const perKind = await Promise.all(kinds.map(async (k) => (await k.pending(decider, afterFor(k.kind), q.limit + 1)).map((item) => ({ k, item }))));
  const merged = perKind
    .flat()
    .sort(
      (a, b) =>
        a.item.requestedAt.getTime() - b.item.requestedAt.getTime() || (a.k.kind < b.k.kind ? -1 : a.k.kind > b.k.kind ? 1 : 0) || a.item.id - b.item.id,
    );
  const data = merged.slice(0, q.limit).map(({ k, item }) => inboxItem(k, item));
  const last = data.at(-1);
  return {
    data,
    page: { limit: q.limit, nextCursor: merged.length > q.limit && last ? encodeCursor([last.requestedAt, last.kind, last.id]) : null },
  };
}
