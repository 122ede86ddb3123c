/**
 * Generated people for bench:unify speed (and a test of the probabilistic rule at scale):
 * 70 % originals from 30 first names and 900 surnames, 30 % duplicates with a typo in a name, the
 * phone reformatted and half without email. Columns: record_id, person, first_name, last_name,
 * postcode, phone, email.
 */
import { type Sql, sql } from '../src/query/index.js'

export function generatedPeopleSql(records: number): Sql {
  const originals = Math.round(records * 0.7)
  return sql`with firsts as (select unnest(['anne','bo','carl','dorte','erik','frida','gustav','hanne','ida','jens','karen','lars','mette','niels','ole','pia','rasmus','sofie','thomas','ulla','viggo','william','yrsa','zara','emma','noah','alma','oscar','clara','liam']) as f),
      lasts as (select a || b as l from unnest(['jen','niel','han','peder','ander','christ','lar','soren','rasmus','jorgen','peter','mad','krist','ol','thom','poul','johan','mol','morten','smith','jon','tay','brow','wil','ev','thomp','walk','whit','robert','ander']) t(a),
        unnest(['sen','son','berg','holm','gaard','lund','strup','bech','dahl','kjaer','skov','vang','borg','by','toft','feldt','hoj','bak','lykke','rup','mark','hus','ager','vad','bro','ris','sig','eng','mose','ly']) u(b)),
      people as (
        select range as person, (select list(f) from firsts)[1 + (hash(range, 1) % 30)::int] as first_name,
          (select list(l) from lasts)[1 + (hash(range, 2) % 900)::int] as last_name,
          lpad(((hash(range, 3) % 9000) + 1000)::varchar, 4, '0') as postcode,
          '+45' || lpad((hash(range, 4) % 100000000)::varchar, 8, '0') as phone,
          'user' || range || '@example.com' as email
        from range(${originals})
      ),
      dups as (select person, first_name, last_name, postcode, phone, email, 1 as dup from people where hash(person, 5) % 7 < 3)
      select row_number() over () as record_id, person, first_name, last_name, postcode, phone, email from (
        select person, first_name, last_name, postcode, phone, email from people
        union all
        select person,
          case hash(person, 6) % 3 when 0 then first_name when 1 then left(first_name, 1) || substr(first_name, 3) else first_name || right(first_name, 1) end,
          case hash(person, 8) % 2 when 0 then last_name else substr(last_name, 1, 2) || substr(last_name, 4, 1) || substr(last_name, 3, 1) || substr(last_name, 5) end,
          postcode,
          case hash(person, 9) % 2 when 0 then phone else replace(phone, '+45', '0045 ') end,
          case hash(person, 10) % 2 when 0 then email else null end
        from dups
      ) limit ${records}`
}
