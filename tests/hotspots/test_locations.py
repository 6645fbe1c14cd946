"""Location SQL written portably must say what DuckDB's own functions say."""

from __future__ import annotations

import duckdb

from procatlas.hotspots.hotspots import _LOCATIONS


def test_week_label_is_the_iso_week():
    # every 7 hours over 31 years: year ends, 53-week years, weeks that start in the previous year
    con = duckdb.connect()
    con.execute("""CREATE TABLE c AS SELECT row_number() OVER () AS cid, ts AS first_ts
                   FROM range(TIMESTAMP '1999-12-20', TIMESTAMP '2031-01-10', INTERVAL 7 HOUR) t(ts)""")
    rows = con.execute(f"""SELECT x.w, strftime(c.first_ts, '%G-W%V') FROM ({_LOCATIONS['week'].format(cases='c')}) x(k, w, cid)
                           JOIN c USING (cid)""").fetchall()
    assert len(rows) == 38894
    assert all(ours == iso for ours, iso in rows)
    assert ("2020-W53", "2020-W53") in rows and ("2009-W53", "2009-W53") in rows
