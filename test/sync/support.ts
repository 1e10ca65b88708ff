/** One action's answer in a POST /sync/push result, as the sync tests read it. */
export interface Outcome {
  clientId: string;
  type: string;
  outcome: 'done' | 'duplicate' | 'rejected';
  status: number;
  result?: { id: number; version?: number; [k: string]: unknown };
  problem?: { status: number; type: string; title: string; detail?: string; errors?: { field: string }[]; dependsOn?: string };
}
