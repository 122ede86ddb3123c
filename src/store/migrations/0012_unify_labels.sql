-- The review queue's answers: a person said two records are, or are not, the same customer.
-- Each pair is stored once, its two records in order (source, key). The next unification
-- follows them over the model and learns from them.
create table if not exists unify_labels (
  instance_id text not null references instances(id) on delete cascade,
  source_a text not null,
  key_a text not null,
  source_b text not null,
  key_b text not null,
  same_customer boolean not null,
  labelled_by text,
  created_at timestamptz not null default now(),
  primary key (instance_id, source_a, key_a, source_b, key_b),
  check ((source_a, key_a) < (source_b, key_b))
);
