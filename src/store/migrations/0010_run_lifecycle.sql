-- One run lifecycle for unification, measures and full refreshes: a unification can be
-- cancelled too (it was marked failed by hand, with 'Cancelled' as its code).
alter table unify_runs drop constraint if exists unify_runs_state_check;
alter table unify_runs add constraint unify_runs_state_check
  check (state in ('queued', 'running', 'succeeded', 'failed', 'cancelled'));
update unify_runs set state = 'cancelled' where state = 'failed' and error_code = 'Cancelled';
