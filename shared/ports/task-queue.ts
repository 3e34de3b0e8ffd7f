// One queue per table with at most one dispatch at a time: Cloud Tasks in the cloud, an in-process serial
// queue on the embedded defaults. A task only names the table and the change-set; bodies stay tiny.

export interface CommitTask {
  /** Deterministic id (a hash of the change-set id, or of a replay request): duplicates are refused. */
  taskId: string;
  /** Table key `schema.table`. */
  table: string;
  changesetId: string;
  /** 'maintain' runs table maintenance under the table's lease instead of a commit (default 'commit'). */
  kind?: 'commit' | 'maintain';
  /** Options of a maintenance task (JSON; see shared/maintenance/options.ts). */
  maintenance?: Record<string, unknown>;
}

export interface TaskQueue {
  /** 'exists' when a task with this id was already created (de-duplication). */
  enqueue(task: CommitTask): Promise<'created' | 'exists'>;
}
