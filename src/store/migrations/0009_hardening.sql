-- A webhook receiver's reply is not kept: it was readable by any read key (a loopback service's
-- answer, reached through a subscription, leaked that way). Attempts keep status and a short error.
alter table delivery_attempts drop column response_excerpt;
