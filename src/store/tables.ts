import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

/** Control-plane tables as Kysely sees them; one interface per table in migrations/*.sql. */
export interface SignInAttemptsTable {
  key: string
  failures: number
  next_at: Date
  updated_at: Generated<Date>
}

export interface Tables {
  sign_in_attempts: SignInAttemptsTable
  instances: InstancesTable
  data_sources: DataSourcesTable
  refreshes: RefreshesTable
  entity_versions: EntityVersionsTable
  entities: EntitiesTable
  events: EventsTable
  event_outbox: EventOutboxTable
  api_keys: ApiKeysTable
  rate_limits: RateLimitsTable
  subscriptions: SubscriptionsTable
  deliveries: DeliveriesTable
  delivery_attempts: DeliveryAttemptsTable
  status_reports: StatusReportsTable
  unify_configs: UnifyConfigsTable
  unify_labels: UnifyLabelsTable
  unify_runs: UnifyRunsTable
  insight_configs: InsightConfigsTable
  insight_runs: InsightRunsTable
  measure_values: MeasureValuesTable
  segment_counts: SegmentCountsTable
  full_refreshes: FullRefreshesTable
  refresh_schedules: RefreshSchedulesTable
  flows: FlowsTable
  flow_runs: FlowRunsTable
  flow_definitions: FlowDefinitionsTable
  flow_run_actions: FlowRunActionsTable
  secrets: SecretsTable
  web_users: WebUsersTable
  web_sessions: WebSessionsTable
  web_setup_tokens: WebSetupTokensTable
}

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
/** pg returns int8 as a string; we read it as one and convert where used. */
type BigIntColumn = ColumnType<string, number | bigint | string, number | bigint | string>
type Json<T> = ColumnType<T, string, string>

export interface InstancesTable {
  id: string
  name: string
  settings: Generated<Json<Record<string, unknown>>>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface DataSourcesTable {
  instance_id: string
  name: string
  kind: 'csv' | 'json' | 'ndjson' | 'parquet' | 'postgres'
  options: Json<Record<string, unknown>>
  primary_key: string
  column_types: Json<Record<string, string>>
  reject_ratio: number
  max_shrink: Generated<number>
  schedule: ColumnType<{ cron: string; timezone: string } | null, string | null | undefined, string | null>
  schedule_fired_at: ColumnType<Date | null, Date | null | undefined, Date | null>
  created_at: Timestamp
  updated_at: Timestamp
}

export type RefreshState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'

export interface RefreshProgress {
  phase: 'queued' | 'retrying' | 'reading' | 'validating' | 'writing' | 'publishing' | 'done'
  /** 0..1 across all phases. */
  fraction: number
  rowsRead?: number
}

export interface RefreshesTable {
  id: string
  instance_id: string
  data_source_name: string
  state: RefreshState
  attempt: Generated<number>
  requested_at: Timestamp
  started_at: NullableTimestamp
  completed_at: NullableTimestamp
  heartbeat_at: NullableTimestamp
  worker_id: string | null
  progress: ColumnType<RefreshProgress | null, string | null, string | null>
  row_count: ColumnType<string | null, number | null, number | null>
  rejected_row_count: ColumnType<string | null, number | null, number | null>
  rejects_path: string | null
  error_code: string | null
  error_message: string | null
  full_refresh_id: Generated<string | null>
  allow_shrink: Generated<boolean>
  dialect: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>
}

export interface ColumnSchema {
  name: string
  type: string
}

export interface PartitionInfo {
  name: string
  /** Relative to the version's directory. */
  file: string
  rowCount: number
  sizeBytes: number
}

export interface EntityVersionsTable {
  id: string
  instance_id: string
  entity_name: string
  refresh_id: string
  directory: string
  row_count: BigIntColumn
  schema: Json<ColumnSchema[]>
  partitions: Json<PartitionInfo[]>
  key_column: string | null
  created_at: Timestamp
}

export interface EntitiesTable {
  instance_id: string
  name: string
  origin: string
  current_version_id: string
  writable: Generated<boolean>
  updated_at: Timestamp
}

export interface EventsTable {
  id: string
  instance_id: string
  type: string
  occurred_at: Timestamp
  data: Json<Record<string, unknown>>
}

/** Events not yet dispatched (by id); the dispatcher deletes what it takes. */
export interface EventOutboxTable {
  id: string
}

export interface ApiKeysTable {
  id: string
  name: string
  prefix: string
  hash: string
  scopes: Json<string[]>
  rate_limit: number | null
  created_at: Timestamp
  last_used_at: NullableTimestamp
  revoked_at: NullableTimestamp
}

export interface RateLimitsTable {
  key: string
  points: number
  expire: BigIntColumn | null
}

export interface SubscriptionsTable {
  id: string
  instance_id: string
  event_type: string
  callback_url: string
  parameters: Json<Record<string, unknown>>
  secret: string
  description: string | null
  created_by_key: string | null
  created_at: Timestamp
  removed_at: NullableTimestamp
  removed_reason: string | null
}

export type DeliveryState = 'pending' | 'succeeded' | 'dead' | 'cancelled'

export interface DeliveriesTable {
  id: string
  instance_id: string
  subscription_id: string
  event_id: string
  state: DeliveryState
  attempt_count: Generated<number>
  schedule_start: Generated<number>
  next_attempt_at: NullableTimestamp
  lease_until: NullableTimestamp
  last_status: number | null
  last_error: string | null
  created_at: Timestamp
  completed_at: NullableTimestamp
}

export interface DeliveryAttemptsTable {
  delivery_id: string
  attempt: number
  started_at: Timestamp
  latency_ms: number
  status: number | null
  error: string | null
}

export interface StatusReportsTable {
  id: string
  instance_id: string
  run_id: string
  flow_name: string | null
  status: string
  message: string | null
  details: ColumnType<unknown, string | null, string | null>
  key_id: string | null
  created_at: Timestamp
}

export interface UnifyConfigsTable {
  instance_id: string
  config: Json<Record<string, unknown>>
  updated_at: Timestamp
}

export interface UnifyLabelsTable {
  instance_id: string
  source_a: string
  key_a: string
  source_b: string
  key_b: string
  same_customer: boolean
  labelled_by: string | null
  created_at: Timestamp
}

export interface UnifyRunsTable {
  id: string
  instance_id: string
  state: RunState
  reason: string
  requested_at: Timestamp
  started_at: NullableTimestamp
  completed_at: NullableTimestamp
  stats: ColumnType<Record<string, number> | null, string | null, string | null>
  error_code: string | null
  error_message: string | null
  full_refresh_id: Generated<string | null>
}

export type InstanceRow = Selectable<InstancesTable>
export type DataSourceRow = Selectable<DataSourcesTable>
export type NewDataSource = Insertable<DataSourcesTable>
export type RefreshRow = Selectable<RefreshesTable>
export type RefreshUpdate = Updateable<RefreshesTable>
export type EntityVersionRow = Selectable<EntityVersionsTable>
export type EventRow = Selectable<EventsTable>
export type ApiKeyRow = Selectable<ApiKeysTable>
export type SubscriptionRow = Selectable<SubscriptionsTable>
export type DeliveryRow = Selectable<DeliveriesTable>
export type DeliveryAttemptRow = Selectable<DeliveryAttemptsTable>
export type StatusReportRow = Selectable<StatusReportsTable>
export type UnifyRunRow = Selectable<UnifyRunsTable>

export interface InsightConfigsTable {
  instance_id: string
  measures: Json<Record<string, unknown>>
  segments: Json<Record<string, unknown>>
  updated_at: Timestamp
}

export type RunState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'

export interface InsightRunsTable {
  id: string
  instance_id: string
  state: RunState
  reason: string
  full_refresh_id: string | null
  requested_at: Timestamp
  started_at: NullableTimestamp
  completed_at: NullableTimestamp
  stats: ColumnType<Record<string, number> | null, string | null, string | null>
  error_code: string | null
  error_message: string | null
}

export interface MeasureValuesTable {
  instance_id: string
  measure: string
  /** '' when the measure has no dimension. */
  dimension: string
  run_id: string
  value: number | null
  computed_at: Timestamp
}

export interface SegmentCountsTable {
  instance_id: string
  segment: string
  run_id: string
  member_count: BigIntColumn
  computed_at: Timestamp
}

export interface FullRefreshStep {
  name: string
  kind: 'source' | 'unify' | 'insights'
  state: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled'
  /** The refresh, unify run or insights run that carried the step out. */
  runId: string | null
  startedAt: string | null
  completedAt: string | null
  durationMs: number | null
  counts: Record<string, number> | null
  error: { code: string; message: string } | null
}

export interface FullRefreshesTable {
  id: string
  instance_id: string
  state: RunState
  reason: string
  requested_at: Timestamp
  started_at: NullableTimestamp
  completed_at: NullableTimestamp
  steps: Json<FullRefreshStep[]>
  error_code: string | null
  error_message: string | null
}

export interface RefreshSchedulesTable {
  instance_id: string
  cron: string
  timezone: string
  last_fired_at: NullableTimestamp
  updated_at: Timestamp
}

export type InsightRunRow = Selectable<InsightRunsTable>
export type FullRefreshRow = Selectable<FullRefreshesTable>

export interface FlowsTable {
  instance_id: string
  name: string
  definition: Json<Record<string, unknown>>
  enabled: Generated<boolean>
  origin: string
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export type FlowRunState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'

export interface FlowRunsTable {
  id: string
  instance_id: string
  flow_name: string
  event_id: string | null
  state: FlowRunState
  /** The run's own copy of its definition (runs stored before 0013); else definition_hash. */
  definition: Json<Record<string, unknown> | null>
  /** Null for an event's run: its trigger is read from the event. */
  trigger: Json<Record<string, unknown> | null>
  definition_hash: string | null
  concurrency: number | null
  rerun_of: string | null
  rerun_from: string | null
  requested_at: Generated<Date>
  started_at: NullableTimestamp
  completed_at: NullableTimestamp
  lease_until: NullableTimestamp
  error_code: string | null
  error_message: string | null
}

/** Flow definitions runs point at, each version once, by the hash of its stable JSON. */
export interface FlowDefinitionsTable {
  hash: string
  definition: Json<Record<string, unknown>>
}

export interface FlowRunActionsTable {
  run_id: string
  path: string
  name: string
  type: string
  status: 'Succeeded' | 'Failed' | 'Skipped' | 'TimedOut'
  inputs: Json<unknown>
  outputs: Json<unknown>
  error: Json<unknown>
  attempts: number
  started_at: Timestamp
  completed_at: Timestamp
}

export type FlowRunRow = Selectable<FlowRunsTable>
export type FlowRunActionRow = Selectable<FlowRunActionsTable>

export interface SecretsTable {
  instance_id: string
  name: string
  ciphertext: string
  updated_at: Generated<Date>
}

export interface WebUsersTable {
  id: string
  username: string
  password_hash: string
  created_at: Generated<Date>
}

export interface WebSessionsTable {
  token_hash: string
  user_id: string
  created_at: Generated<Date>
  expires_at: Timestamp
}

export interface WebSetupTokensTable {
  token_hash: string
  expires_at: Timestamp
}
