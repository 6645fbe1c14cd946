"""DuckDB SQL of procatlas rewritten for Spark SQL: sqlglot transpiles, a few rewrites fill its gaps.

The analysis packages write each event-level query once, in DuckDB's dialect.  sqlglot
(``read="duckdb", write="spark"``) translates most of it; the rewrites below cover what it
leaves wrong or unsupported, each so that both engines compute the same thing:

- ``list(x ORDER BY k1, k2)`` (an ordered list aggregate): Spark's ``collect_list`` has no
  order, so the values are collected as structs ``(k1, k2, x)``, sorted, then projected; with
  a DESC key (or NULLS FIRST) the sort takes a comparator lambda (NULLs last, as in DuckDB);
  ``list(DISTINCT x ORDER BY x)`` collects a set;
- ``a[x:y]`` (a slice, both ends included): ``slice(a, x, y - x + 1)``;
- ``a[i]`` with a non-literal index: DuckDB lists are 1-based, Spark arrays 0-based
  (sqlglot shifts literals and integer-typed indexes only);
- ``quantile_cont(x, q)`` / ``median(x)``: Spark's exact ``percentile(x, q)``, which
  interpolates linearly between order statistics exactly like DuckDB (never the approximate
  ``percentile_approx``), so medians and quantiles agree to rounding;
- ``list_select(names, codes)``: ``transform(codes, c -> names[c - 1])``;
- ``min(x, n)`` (the n smallest as a list): ``slice(array_sort(collect_list(x)), 1, n)``;
- ``regexp_matches(s, p, 'i')``: ``s RLIKE concat('(?i)', p)`` (sqlglot drops the flag);
- ``mode(x)`` and ``mode(x ORDER BY x)``: ``mode(x, true)`` (deterministic on ties: the
  smallest value, as DuckDB's ``mode(x ORDER BY x)``, which takes the first of the tied values
  in that order; plain ``mode(x)`` ties are arbitrary on DuckDB);
- JSON paths computed at run time: DuckDB's ``$."key"`` becomes Spark's ``$['key']``;
- ``HAVING agg ... ORDER BY agg``: the ORDER BY aggregate becomes a hidden output column;
- decimal literals (``1000.0``) become DOUBLE: DuckDB divides into DOUBLE, Spark into DECIMAL;
- ``timezone(z, CAST(t AS TIMESTAMPTZ))`` (the wall-clock time in zone ``z`` of the UTC instant
  ``t``): ``from_utc_timestamp(t, z)``; ``timezone(z, t)`` of a naive ``t`` (the instant whose
  wall-clock time in ``z`` is ``t``): ``to_utc_timestamp(t, z)``.  Both engines keep naive UTC
  timestamps and run with the session time zone UTC (the DuckDB workspace sets it, and so does
  :func:`procatlas.engine.spark.spark_session`), so a TIMESTAMP WITH TIME ZONE is that instant;
- ``isodow(d)`` (Monday 1 .. Sunday 7): ``weekday(d) + 1`` (sqlglot's ``dayofweek(d) % 7 + 1``
  counts from Saturday);
- ``epoch(t)`` (seconds with the fraction, DOUBLE): ``unix_micros(t) / 1e6`` (Spark's
  ``unix_timestamp`` drops the fraction); ``epoch_us(t)``: ``unix_micros(t)``;
- ``t +/- to_months(n)``: ``add_months(t, +/-n)``.
"""

from __future__ import annotations

import functools

from procatlas.errors import EngineError


def _sqlglot():
    try:
        import sqlglot
        from sqlglot import exp
    except ImportError:  # pragma: no cover - sqlglot ships with the spark extra
        raise EngineError("the Spark engine needs sqlglot: pip install 'procatlas[spark]'") from None
    return sqlglot, exp


def _ordered_list(node, exp):
    """``list(x ORDER BY a, b)`` -> ``transform(array_sort(collect_list(struct(a, b, x))), s -> s.v)``."""
    order = node.this
    if not isinstance(order, exp.Order):
        return node
    value = order.this
    collect = "COLLECT_LIST"
    if isinstance(value, exp.Distinct) and len(value.expressions) == 1:
        # list(DISTINCT x ORDER BY x): DuckDB requires the keys to be the value, so distinct
        # structs are distinct values
        value, collect = value.expressions[0], "COLLECT_SET"
    keys = [o.this for o in order.expressions]
    fields = [exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=k.copy()) for i, k in enumerate(keys)]
    fields.append(exp.PropertyEQ(this=exp.to_identifier("v"), expression=value.copy()))
    collected = exp.Anonymous(this=collect, expressions=[exp.Struct(expressions=fields)])
    lam = exp.Lambda(this=exp.Dot(this=exp.column("pa_s"), expression=exp.to_identifier("v")),
                     expressions=[exp.to_identifier("pa_s")])
    if any(o.args.get("desc") or o.args.get("nulls_first") for o in order.expressions):
        sort = exp.Anonymous(this="ARRAY_SORT", expressions=[collected, _comparator(order.expressions, exp)])
    else:
        sort = exp.Anonymous(this="ARRAY_SORT", expressions=[collected])
    return exp.Anonymous(this="TRANSFORM", expressions=[sort, lam])


def _comparator(keys, exp):
    """``(l, r) -> -1|0|1`` ordering structs ``(k0, k1, ...)`` by the ORDER BY keys, each ASC or
    DESC, NULLs last unless NULLS FIRST (DuckDB's default is NULLS LAST in both directions)."""
    def field(side: str, i: int):
        return exp.Dot(this=exp.column(side), expression=exp.to_identifier(f"k{i}"))

    def num(n: int):
        return exp.Literal.number(n) if n >= 0 else exp.Neg(this=exp.Literal.number(-n))

    body = num(0)
    for i in reversed(range(len(keys))):
        desc = bool(keys[i].args.get("desc"))
        nulls = -1 if keys[i].args.get("nulls_first") else 1  # where a NULL l goes relative to r
        lt = 1 if desc else -1
        body = exp.Case(ifs=[
            exp.If(this=exp.and_(exp.Is(this=field("pa_l", i), expression=exp.Null()),
                                 exp.Is(this=field("pa_r", i), expression=exp.Null())), true=body.copy()),
            exp.If(this=exp.Is(this=field("pa_l", i), expression=exp.Null()), true=num(nulls)),
            exp.If(this=exp.Is(this=field("pa_r", i), expression=exp.Null()), true=num(-nulls)),
            exp.If(this=exp.LT(this=field("pa_l", i), expression=field("pa_r", i)), true=num(lt)),
            exp.If(this=exp.GT(this=field("pa_l", i), expression=field("pa_r", i)), true=num(-lt)),
        ], default=body)
    return exp.Lambda(this=body, expressions=[exp.to_identifier("pa_l"), exp.to_identifier("pa_r")])


def _is_quantile_list(node, exp) -> bool:
    if isinstance(node, exp.PercentileCont):
        return isinstance(node.expression, exp.Array)
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "PERCENTILE" and len(node.expressions) == 2:
        return isinstance(node.expressions[1], exp.Array)
    return False


def _rewrite(node, exp):
    from sqlglot.optimizer.annotate_types import annotate_types

    if (isinstance(node, (exp.Add, exp.Sub)) and isinstance(node.expression, exp.Anonymous)
            and str(node.expression.this).upper() == "TO_MONTHS" and len(node.expression.expressions) == 1):
        # t +/- to_months(n) (DuckDB's month interval): add_months(t, +/-n)
        n = node.expression.expressions[0].copy()
        return exp.Anonymous(this="ADD_MONTHS", expressions=[
            node.this.copy(), n if isinstance(node, exp.Add) else exp.Neg(this=exp.Paren(this=n))])
    if isinstance(node, exp.ArrayAgg):
        return _ordered_list(node, exp)
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
        index = node.expressions[0]
        if isinstance(index, exp.Slice) and index.this is not None and index.expression is not None:
            # DuckDB's list[a:b] (1-based, both ends included) is Spark's slice(list, a, b - a + 1)
            length = exp.Add(this=exp.Sub(this=exp.Paren(this=index.expression.copy()),
                                          expression=exp.Paren(this=index.this.copy())),
                             expression=exp.Literal.number(1))
            inner = node.this.transform(lambda n: _rewrite(n, exp), copy=False)  # not revisited by transform
            return exp.Anonymous(this="SLICE", expressions=[inner, index.this.copy(), length])
        if isinstance(index, exp.Literal) and _is_quantile_list(node.this, exp) and not index.meta.get("pa_shifted"):
            # quantile_cont(x, [p, q])[2]: sqlglot types quantiles as scalars and leaves the index
            shifted = exp.Literal.number(int(index.this) - 1)
            shifted.meta["pa_shifted"] = True
            node.set("expressions", [shifted])
            return node
        if not isinstance(index, exp.Literal) and not index.meta.get("pa_shifted"):
            typed = annotate_types(index.copy())
            if typed.type is None or typed.type.this == exp.DataType.Type.UNKNOWN:
                shifted = exp.Sub(this=exp.Paren(this=index.copy()), expression=exp.Literal.number(1))
                shifted.meta["pa_shifted"] = True
                node.set("expressions", [shifted])
        return node
    if isinstance(node, exp.PercentileCont) and node.expression is not None:
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this, node.expression])
    if isinstance(node, exp.Median):
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this, exp.Literal.number(0.5)])
    if isinstance(node, exp.Min) and node.args.get("count") is not None:
        collected = exp.Anonymous(this="COLLECT_LIST", expressions=[node.this])
        return exp.Anonymous(this="SLICE", expressions=[exp.Anonymous(this="ARRAY_SORT", expressions=[collected]),
                                                         exp.Literal.number(1), node.args["count"]])
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "LIST_SELECT" and len(node.expressions) == 2:
        names, codes = node.expressions
        element = exp.Bracket(this=names.copy(), expressions=[exp.Sub(this=exp.column("pa_c"),
                                                                      expression=exp.Literal.number(1))])
        element.expressions[0].meta["pa_shifted"] = True
        lam = exp.Lambda(this=element, expressions=[exp.to_identifier("pa_c")])
        return exp.Anonymous(this="TRANSFORM", expressions=[codes.copy(), lam])
    if isinstance(node, exp.RegexpLike) and node.args.get("flag") is not None:
        flag = node.args["flag"]
        if isinstance(flag, exp.Literal) and flag.this == "i":
            pattern = exp.Anonymous(this="CONCAT", expressions=[exp.Literal.string("(?i)"), node.expression])
            return exp.RegexpLike(this=node.this, expression=pattern)
        return node
    if isinstance(node, exp.Literal) and not node.is_string and "." in node.this and "e" not in node.this.lower():
        # 1000.0 is a DECIMAL in both dialects, but DuckDB divides decimals into DOUBLEs and Spark
        # keeps DECIMALs (other rounding, Decimal values in Python): make such literals DOUBLE
        return exp.Cast(this=node.copy(), to=exp.DataType.build("DOUBLE"))
    if isinstance(node, (exp.JSONExtract, exp.JSONExtractScalar)) and not isinstance(node.expression, exp.JSONPath):
        # a path computed at run time ('$."' || k || '"', or a parameter): DuckDB's quoted key
        # $."k" is Spark's $['k']
        # (one regexp_replace, so that a `?` path is used once and binds one parameter)
        node.set("expression", exp.Anonymous(this="REGEXP_REPLACE", expressions=[
            node.expression.copy(), exp.Literal.string(r'^\$\."(.*)"$'), exp.Literal.string(r"\$['$1']")]))
        return node
    if isinstance(node, exp.Mode):
        value = node.this
        if isinstance(value, exp.Order):  # mode(x ORDER BY x): the smallest of tied values
            keys = value.expressions
            if len(keys) != 1 or keys[0].args.get("desc") or keys[0].this != value.this:
                raise EngineError(f"mode() ordered other than by its value has no Spark form: {node.sql('duckdb')}")
            value = value.this
        return exp.Anonymous(this="MODE", expressions=[value.copy(), exp.true()])
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "TIMEZONE" and len(node.expressions) == 2:
        zone, value = node.expressions
        aware = isinstance(value, exp.Cast) and value.to.is_type(exp.DataType.Type.TIMESTAMPTZ)
        return exp.Anonymous(this="FROM_UTC_TIMESTAMP" if aware else "TO_UTC_TIMESTAMP",
                             expressions=[value.copy(), zone.copy()])
    if isinstance(node, exp.DayOfWeekIso):
        return exp.Paren(this=exp.Add(this=exp.Anonymous(this="WEEKDAY", expressions=[node.this.copy()]),
                                      expression=exp.Literal.number(1)))
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "EPOCH_US" and len(node.expressions) == 1:
        instant = exp.Cast(this=node.expressions[0].copy(), to=exp.DataType.build("TIMESTAMPTZ"))
        return exp.Anonymous(this="UNIX_MICROS", expressions=[instant])
    if isinstance(node, exp.TimeToUnix):
        instant = exp.Cast(this=node.this.copy(), to=exp.DataType.build("TIMESTAMPTZ"))
        return exp.Div(this=exp.Anonymous(this="UNIX_MICROS", expressions=[instant]),
                       expression=exp.Literal.number("1e6"))
    return node


def _hoist_order_aggregates(tree, exp):
    """``... GROUP BY g HAVING count(*) >= ? ORDER BY count(*) DESC``: Spark cannot sort by an
    aggregate that HAVING also uses; sort by a hidden output column, then drop it."""
    for select in list(tree.find_all(exp.Select)):
        order = select.args.get("order")
        if order is None or not select.args.get("group") or not select.args.get("having"):
            continue
        names = [p.alias_or_name for p in select.expressions]
        if not all(names) or any(isinstance(p, exp.Star) for p in select.expressions):
            continue
        hidden = []
        for i, o in enumerate(order.expressions):
            if isinstance(o.this, exp.AggFunc):
                alias = f"pa_o{i}"
                select.append("expressions", exp.alias_(o.this.copy(), alias))
                o.set("this", exp.column(alias))
                hidden.append(alias)
        if not hidden:
            continue
        inner = select.copy()
        outer = exp.select(*[exp.column(n) for n in names]).from_(inner.subquery("pa_q"))
        if select is tree:
            tree = outer
        else:
            select.replace(outer)
    return tree


def parse(sql: str):
    """The statement ``sql`` (DuckDB dialect) as a sqlglot tree, with the Spark rewrites applied."""
    sqlglot, exp = _sqlglot()
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise EngineError(f"cannot translate SQL for Spark: {str(exc).splitlines()[0]}") from None
    tree = tree.transform(lambda n: _rewrite(n, exp), copy=False)
    return _hoist_order_aggregates(tree, exp)


def spark_sql(tree) -> str:
    """Spark SQL text of a (rewritten) tree."""
    sqlglot, _exp = _sqlglot()
    try:
        return tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.UnsupportedError as exc:
        raise EngineError(f"cannot translate SQL for Spark: {str(exc).splitlines()[0]}") from None


@functools.lru_cache(maxsize=512)
def to_spark(sql: str) -> str:
    """One DuckDB statement as Spark SQL (``?`` parameters stay positional markers).

    >>> to_spark("SELECT list(code ORDER BY ts, eid) AS trace FROM ev GROUP BY cid")  # doctest: +SKIP
    'SELECT TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(ts AS k0, eid AS k1, code AS v))), pa_s -> pa_s.v) ...'
    """
    return spark_sql(parse(sql))
