"""The 22 TPC-H queries as faborite models, plus layered models on top of them.

Each query is the TPC-H specification's text (revision 3.0.1, clause 2.4) with
the validation substitution parameters of clause 2.4.x.3 (the values the
spec's answer set was produced with), written for DuckDB, reading the tables
through ``{{ source("tpch", "<table>") }}``. Every table reference carries its
spec name (or the spec's alias: ``n1``, ``l1``, ...) as an alias, so the
column references stay exactly as in the spec. Q15's ``revenue0`` view is a
CTE, and Q13's derived-column list is written with ``as`` names. The spec's
row limits are kept; models are materialized as tables, so a query's ORDER BY
only decides which rows a LIMIT keeps.

The layered models ``ref()`` query models (and each other), so the DAG has
depth 3: source -> q05 -> mart_nation_revenue -> mart_exec_summary.

Check the queries against generated data (no faborite involved)::

    python -m benchmarks.tpch_queries DATA_DIR     # DATA_DIR holds <table>.parquet
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

#: The eight TPC-H tables, as ``tpchgen-cli parquet`` names its files (``<table>.parquet``).
TABLES = ("region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem")


def _src(table: str, alias: str | None = None) -> str:
    return f'{{{{ source("tpch", "{table}") }}}} as {alias or table}'


LINEITEM, ORDERS, CUSTOMER = _src("lineitem"), _src("orders"), _src("customer")
PART, PARTSUPP, SUPPLIER = _src("part"), _src("partsupp"), _src("supplier")
NATION, REGION = _src("nation"), _src("region")

#: ``{model name: Jinja-SQL}`` for Q1..Q22 (validation parameters).
QUERIES: dict[str, str] = {
    # Q1 pricing summary report: DELTA = 90
    "q01": f"""select
    l_returnflag,
    l_linestatus,
    sum(l_quantity) as sum_qty,
    sum(l_extendedprice) as sum_base_price,
    sum(l_extendedprice * (1 - l_discount)) as sum_disc_price,
    sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) as sum_charge,
    avg(l_quantity) as avg_qty,
    avg(l_extendedprice) as avg_price,
    avg(l_discount) as avg_disc,
    count(*) as count_order
from {LINEITEM}
where l_shipdate <= date '1998-12-01' - interval '90' day
group by l_returnflag, l_linestatus
order by l_returnflag, l_linestatus
""",
    # Q2 minimum cost supplier: SIZE = 15, TYPE = BRASS, REGION = EUROPE
    "q02": f"""select
    s_acctbal, s_name, n_name, p_partkey, p_mfgr, s_address, s_phone, s_comment
from {PART}, {SUPPLIER}, {PARTSUPP}, {NATION}, {REGION}
where p_partkey = ps_partkey
    and s_suppkey = ps_suppkey
    and p_size = 15
    and p_type like '%BRASS'
    and s_nationkey = n_nationkey
    and n_regionkey = r_regionkey
    and r_name = 'EUROPE'
    and ps_supplycost = (
        select min(ps_supplycost)
        from {PARTSUPP}, {SUPPLIER}, {NATION}, {REGION}
        where p_partkey = ps_partkey
            and s_suppkey = ps_suppkey
            and s_nationkey = n_nationkey
            and n_regionkey = r_regionkey
            and r_name = 'EUROPE'
    )
order by s_acctbal desc, n_name, s_name, p_partkey
limit 100
""",
    # Q3 shipping priority: SEGMENT = BUILDING, DATE = 1995-03-15
    "q03": f"""select
    l_orderkey,
    sum(l_extendedprice * (1 - l_discount)) as revenue,
    o_orderdate,
    o_shippriority
from {CUSTOMER}, {ORDERS}, {LINEITEM}
where c_mktsegment = 'BUILDING'
    and c_custkey = o_custkey
    and l_orderkey = o_orderkey
    and o_orderdate < date '1995-03-15'
    and l_shipdate > date '1995-03-15'
group by l_orderkey, o_orderdate, o_shippriority
order by revenue desc, o_orderdate
limit 10
""",
    # Q4 order priority checking: DATE = 1993-07-01
    "q04": f"""select
    o_orderpriority,
    count(*) as order_count
from {ORDERS}
where o_orderdate >= date '1993-07-01'
    and o_orderdate < date '1993-07-01' + interval '3' month
    and exists (
        select *
        from {LINEITEM}
        where l_orderkey = o_orderkey
            and l_commitdate < l_receiptdate
    )
group by o_orderpriority
order by o_orderpriority
""",
    # Q5 local supplier volume: REGION = ASIA, DATE = 1994-01-01
    "q05": f"""select
    n_name,
    sum(l_extendedprice * (1 - l_discount)) as revenue
from {CUSTOMER}, {ORDERS}, {LINEITEM}, {SUPPLIER}, {NATION}, {REGION}
where c_custkey = o_custkey
    and l_orderkey = o_orderkey
    and l_suppkey = s_suppkey
    and c_nationkey = s_nationkey
    and s_nationkey = n_nationkey
    and n_regionkey = r_regionkey
    and r_name = 'ASIA'
    and o_orderdate >= date '1994-01-01'
    and o_orderdate < date '1994-01-01' + interval '1' year
group by n_name
order by revenue desc
""",
    # Q6 forecasting revenue change: DATE = 1994-01-01, DISCOUNT = 0.06, QUANTITY = 24
    "q06": f"""select
    sum(l_extendedprice * l_discount) as revenue
from {LINEITEM}
where l_shipdate >= date '1994-01-01'
    and l_shipdate < date '1994-01-01' + interval '1' year
    and l_discount between 0.06 - 0.01 and 0.06 + 0.01
    and l_quantity < 24
""",
    # Q7 volume shipping: NATION1 = FRANCE, NATION2 = GERMANY
    "q07": f"""select
    supp_nation,
    cust_nation,
    l_year,
    sum(volume) as revenue
from (
    select
        n1.n_name as supp_nation,
        n2.n_name as cust_nation,
        extract(year from l_shipdate) as l_year,
        l_extendedprice * (1 - l_discount) as volume
    from {SUPPLIER}, {LINEITEM}, {ORDERS}, {CUSTOMER}, {_src("nation", "n1")}, {_src("nation", "n2")}
    where s_suppkey = l_suppkey
        and o_orderkey = l_orderkey
        and c_custkey = o_custkey
        and s_nationkey = n1.n_nationkey
        and c_nationkey = n2.n_nationkey
        and (
            (n1.n_name = 'FRANCE' and n2.n_name = 'GERMANY')
            or (n1.n_name = 'GERMANY' and n2.n_name = 'FRANCE')
        )
        and l_shipdate between date '1995-01-01' and date '1996-12-31'
) as shipping
group by supp_nation, cust_nation, l_year
order by supp_nation, cust_nation, l_year
""",
    # Q8 national market share: NATION = BRAZIL, REGION = AMERICA, TYPE = ECONOMY ANODIZED STEEL
    "q08": f"""select
    o_year,
    sum(case when nation = 'BRAZIL' then volume else 0 end) / sum(volume) as mkt_share
from (
    select
        extract(year from o_orderdate) as o_year,
        l_extendedprice * (1 - l_discount) as volume,
        n2.n_name as nation
    from {PART}, {SUPPLIER}, {LINEITEM}, {ORDERS}, {CUSTOMER}, {_src("nation", "n1")}, {_src("nation", "n2")}, {REGION}
    where p_partkey = l_partkey
        and s_suppkey = l_suppkey
        and l_orderkey = o_orderkey
        and o_custkey = c_custkey
        and c_nationkey = n1.n_nationkey
        and n1.n_regionkey = r_regionkey
        and r_name = 'AMERICA'
        and s_nationkey = n2.n_nationkey
        and o_orderdate between date '1995-01-01' and date '1996-12-31'
        and p_type = 'ECONOMY ANODIZED STEEL'
) as all_nations
group by o_year
order by o_year
""",
    # Q9 product type profit measure: COLOR = green
    "q09": f"""select
    nation,
    o_year,
    sum(amount) as sum_profit
from (
    select
        n_name as nation,
        extract(year from o_orderdate) as o_year,
        l_extendedprice * (1 - l_discount) - ps_supplycost * l_quantity as amount
    from {PART}, {SUPPLIER}, {LINEITEM}, {PARTSUPP}, {ORDERS}, {NATION}
    where s_suppkey = l_suppkey
        and ps_suppkey = l_suppkey
        and ps_partkey = l_partkey
        and p_partkey = l_partkey
        and o_orderkey = l_orderkey
        and s_nationkey = n_nationkey
        and p_name like '%green%'
) as profit
group by nation, o_year
order by nation, o_year desc
""",
    # Q10 returned item reporting: DATE = 1993-10-01
    "q10": f"""select
    c_custkey,
    c_name,
    sum(l_extendedprice * (1 - l_discount)) as revenue,
    c_acctbal,
    n_name,
    c_address,
    c_phone,
    c_comment
from {CUSTOMER}, {ORDERS}, {LINEITEM}, {NATION}
where c_custkey = o_custkey
    and l_orderkey = o_orderkey
    and o_orderdate >= date '1993-10-01'
    and o_orderdate < date '1993-10-01' + interval '3' month
    and l_returnflag = 'R'
    and c_nationkey = n_nationkey
group by c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment
order by revenue desc
limit 20
""",
    # Q11 important stock identification: NATION = GERMANY, FRACTION = 0.0001
    "q11": f"""select
    ps_partkey,
    sum(ps_supplycost * ps_availqty) as value
from {PARTSUPP}, {SUPPLIER}, {NATION}
where ps_suppkey = s_suppkey
    and s_nationkey = n_nationkey
    and n_name = 'GERMANY'
group by ps_partkey
having sum(ps_supplycost * ps_availqty) > (
    select sum(ps_supplycost * ps_availqty) * 0.0001
    from {PARTSUPP}, {SUPPLIER}, {NATION}
    where ps_suppkey = s_suppkey
        and s_nationkey = n_nationkey
        and n_name = 'GERMANY'
)
order by value desc
""",
    # Q12 shipping modes and order priority: SHIPMODE1 = MAIL, SHIPMODE2 = SHIP, DATE = 1994-01-01
    "q12": f"""select
    l_shipmode,
    sum(case when o_orderpriority = '1-URGENT' or o_orderpriority = '2-HIGH' then 1 else 0 end) as high_line_count,
    sum(case when o_orderpriority <> '1-URGENT' and o_orderpriority <> '2-HIGH' then 1 else 0 end) as low_line_count
from {ORDERS}, {LINEITEM}
where o_orderkey = l_orderkey
    and l_shipmode in ('MAIL', 'SHIP')
    and l_commitdate < l_receiptdate
    and l_shipdate < l_commitdate
    and l_receiptdate >= date '1994-01-01'
    and l_receiptdate < date '1994-01-01' + interval '1' year
group by l_shipmode
order by l_shipmode
""",
    # Q13 customer distribution: WORD1 = special, WORD2 = requests
    "q13": f"""select
    c_count,
    count(*) as custdist
from (
    select
        c_custkey,
        count(o_orderkey) as c_count
    from {CUSTOMER}
    left outer join {ORDERS}
        on c_custkey = o_custkey
        and o_comment not like '%special%requests%'
    group by c_custkey
) as c_orders
group by c_count
order by custdist desc, c_count desc
""",
    # Q14 promotion effect: DATE = 1995-09-01
    "q14": f"""select
    100.00 * sum(case when p_type like 'PROMO%' then l_extendedprice * (1 - l_discount) else 0 end)
        / sum(l_extendedprice * (1 - l_discount)) as promo_revenue
from {LINEITEM}, {PART}
where l_partkey = p_partkey
    and l_shipdate >= date '1995-09-01'
    and l_shipdate < date '1995-09-01' + interval '1' month
""",
    # Q15 top supplier: DATE = 1996-01-01 (the spec's view revenue0 as a CTE)
    "q15": f"""with revenue0 as (
    select
        l_suppkey as supplier_no,
        sum(l_extendedprice * (1 - l_discount)) as total_revenue
    from {LINEITEM}
    where l_shipdate >= date '1996-01-01'
        and l_shipdate < date '1996-01-01' + interval '3' month
    group by l_suppkey
)
select
    s_suppkey,
    s_name,
    s_address,
    s_phone,
    total_revenue
from {SUPPLIER}, revenue0
where s_suppkey = supplier_no
    and total_revenue = (select max(total_revenue) from revenue0)
order by s_suppkey
""",
    # Q16 parts/supplier relationship: BRAND = Brand#45, TYPE = MEDIUM POLISHED, SIZE1..8 = 49 14 23 45 19 3 36 9
    "q16": f"""select
    p_brand,
    p_type,
    p_size,
    count(distinct ps_suppkey) as supplier_cnt
from {PARTSUPP}, {PART}
where p_partkey = ps_partkey
    and p_brand <> 'Brand#45'
    and p_type not like 'MEDIUM POLISHED%'
    and p_size in (49, 14, 23, 45, 19, 3, 36, 9)
    and ps_suppkey not in (
        select s_suppkey
        from {SUPPLIER}
        where s_comment like '%Customer%Complaints%'
    )
group by p_brand, p_type, p_size
order by supplier_cnt desc, p_brand, p_type, p_size
""",
    # Q17 small-quantity-order revenue: BRAND = Brand#23, CONTAINER = MED BOX
    "q17": f"""select
    sum(l_extendedprice) / 7.0 as avg_yearly
from {LINEITEM}, {PART}
where p_partkey = l_partkey
    and p_brand = 'Brand#23'
    and p_container = 'MED BOX'
    and l_quantity < (
        select 0.2 * avg(l_quantity)
        from {LINEITEM}
        where l_partkey = p_partkey
    )
""",
    # Q18 large volume customer: QUANTITY = 300
    "q18": f"""select
    c_name,
    c_custkey,
    o_orderkey,
    o_orderdate,
    o_totalprice,
    sum(l_quantity) as sum_qty
from {CUSTOMER}, {ORDERS}, {LINEITEM}
where o_orderkey in (
        select l_orderkey
        from {LINEITEM}
        group by l_orderkey
        having sum(l_quantity) > 300
    )
    and c_custkey = o_custkey
    and o_orderkey = l_orderkey
group by c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice
order by o_totalprice desc, o_orderdate
limit 100
""",
    # Q19 discounted revenue: QUANTITY1..3 = 1 10 20, BRAND1..3 = Brand#12 Brand#23 Brand#34
    "q19": f"""select
    sum(l_extendedprice * (1 - l_discount)) as revenue
from {LINEITEM}, {PART}
where (
        p_partkey = l_partkey
        and p_brand = 'Brand#12'
        and p_container in ('SM CASE', 'SM BOX', 'SM PACK', 'SM PKG')
        and l_quantity >= 1 and l_quantity <= 1 + 10
        and p_size between 1 and 5
        and l_shipmode in ('AIR', 'AIR REG')
        and l_shipinstruct = 'DELIVER IN PERSON'
    )
    or (
        p_partkey = l_partkey
        and p_brand = 'Brand#23'
        and p_container in ('MED BAG', 'MED BOX', 'MED PKG', 'MED PACK')
        and l_quantity >= 10 and l_quantity <= 10 + 10
        and p_size between 1 and 10
        and l_shipmode in ('AIR', 'AIR REG')
        and l_shipinstruct = 'DELIVER IN PERSON'
    )
    or (
        p_partkey = l_partkey
        and p_brand = 'Brand#34'
        and p_container in ('LG CASE', 'LG BOX', 'LG PACK', 'LG PKG')
        and l_quantity >= 20 and l_quantity <= 20 + 10
        and p_size between 1 and 15
        and l_shipmode in ('AIR', 'AIR REG')
        and l_shipinstruct = 'DELIVER IN PERSON'
    )
""",
    # Q20 potential part promotion: COLOR = forest, DATE = 1994-01-01, NATION = CANADA
    "q20": f"""select
    s_name,
    s_address
from {SUPPLIER}, {NATION}
where s_suppkey in (
        select ps_suppkey
        from {PARTSUPP}
        where ps_partkey in (
                select p_partkey
                from {PART}
                where p_name like 'forest%'
            )
            and ps_availqty > (
                select 0.5 * sum(l_quantity)
                from {LINEITEM}
                where l_partkey = ps_partkey
                    and l_suppkey = ps_suppkey
                    and l_shipdate >= date '1994-01-01'
                    and l_shipdate < date '1994-01-01' + interval '1' year
            )
    )
    and s_nationkey = n_nationkey
    and n_name = 'CANADA'
order by s_name
""",
    # Q21 suppliers who kept orders waiting: NATION = SAUDI ARABIA
    "q21": f"""select
    s_name,
    count(*) as numwait
from {SUPPLIER}, {_src("lineitem", "l1")}, {ORDERS}, {NATION}
where s_suppkey = l1.l_suppkey
    and o_orderkey = l1.l_orderkey
    and o_orderstatus = 'F'
    and l1.l_receiptdate > l1.l_commitdate
    and exists (
        select *
        from {_src("lineitem", "l2")}
        where l2.l_orderkey = l1.l_orderkey
            and l2.l_suppkey <> l1.l_suppkey
    )
    and not exists (
        select *
        from {_src("lineitem", "l3")}
        where l3.l_orderkey = l1.l_orderkey
            and l3.l_suppkey <> l1.l_suppkey
            and l3.l_receiptdate > l3.l_commitdate
    )
    and s_nationkey = n_nationkey
    and n_name = 'SAUDI ARABIA'
group by s_name
order by numwait desc, s_name
limit 100
""",
    # Q22 global sales opportunity: I1..I7 = 13 31 23 29 30 18 17
    "q22": f"""select
    cntrycode,
    count(*) as numcust,
    sum(c_acctbal) as totacctbal
from (
    select
        substring(c_phone, 1, 2) as cntrycode,
        c_acctbal
    from {CUSTOMER}
    where substring(c_phone, 1, 2) in ('13', '31', '23', '29', '30', '18', '17')
        and c_acctbal > (
            select avg(c_acctbal)
            from {CUSTOMER}
            where c_acctbal > 0.00
                and substring(c_phone, 1, 2) in ('13', '31', '23', '29', '30', '18', '17')
        )
        and not exists (
            select *
            from {ORDERS}
            where o_custkey = c_custkey
        )
) as custsale
group by cntrycode
order by cntrycode
""",
}

#: ``{model name: Jinja-SQL}``: marts built from the query models (and each other).
LAYERED: dict[str, str] = {
    # Revenue by nation over Q5, with its region, share and rank.
    "mart_nation_revenue": f"""select
    q.n_name,
    r.r_name,
    q.revenue,
    q.revenue / sum(q.revenue) over () as revenue_share,
    rank() over (order by q.revenue desc) as revenue_rank
from {{{{ ref("q05") }}}} as q
join {_src("nation", "n")} on n.n_name = q.n_name
join {_src("region", "r")} on r.r_regionkey = n.n_regionkey
""",
    # Q3 (top unshipped orders) joined with Q10 (customers with returns), per customer.
    "mart_priority_customers": f"""with open_orders as (
    select
        o.o_custkey,
        count(*) as open_orders,
        sum(q3.revenue) as open_revenue
    from {{{{ ref("q03") }}}} as q3
    join {_src("orders", "o")} on o.o_orderkey = q3.l_orderkey
    group by o.o_custkey
)
select
    coalesce(q10.c_custkey, open_orders.o_custkey) as custkey,
    q10.c_name,
    q10.n_name,
    q10.revenue as returned_revenue,
    coalesce(open_orders.open_orders, 0) as open_orders,
    coalesce(open_orders.open_revenue, 0) as open_revenue,
    q10.c_custkey is not null and open_orders.o_custkey is not null as in_both
from {{{{ ref("q10") }}}} as q10
full outer join open_orders on open_orders.o_custkey = q10.c_custkey
""",
    # Suppliers named by Q15 (top revenue), Q20 (promotion candidates) or Q21 (kept orders waiting).
    "mart_supplier_watchlist": """with named as (
    select s_name from {{ ref("q15") }}
    union
    select s_name from {{ ref("q20") }}
    union
    select s_name from {{ ref("q21") }}
)
select
    named.s_name,
    q21.numwait,
    q20.s_name is not null as promotion_candidate,
    q15.total_revenue as top_revenue
from named
left join {{ ref("q21") }} as q21 on q21.s_name = named.s_name
left join {{ ref("q20") }} as q20 on q20.s_name = named.s_name
left join {{ ref("q15") }} as q15 on q15.s_name = named.s_name
""",
    # One row of headline figures, over marts and query models.
    "mart_exec_summary": """select
    (select sum(revenue) from {{ ref("mart_nation_revenue") }}) as asia_revenue_1994,
    (select max(n_name) from {{ ref("mart_nation_revenue") }} where revenue_rank = 1) as top_asia_nation,
    (select revenue from {{ ref("q06") }}) as forecast_revenue_change,
    (select promo_revenue from {{ ref("q14") }}) as promo_revenue_pct,
    (select sum(count_order) from {{ ref("q01") }}) as priced_line_items,
    (select count(*) from {{ ref("mart_priority_customers") }}) as priority_customers,
    (select count(*) from {{ ref("mart_supplier_watchlist") }}) as watched_suppliers
""",
}

#: Every model, query models first.
MODELS: dict[str, str] = {**QUERIES, **LAYERED}

#: Rows each query returns at scale factor 1 (the spec's answer set).
EXPECTED_ROWS_SF1: dict[str, int] = {
    "q01": 4, "q02": 100, "q03": 10, "q04": 5, "q05": 5, "q06": 1, "q07": 4, "q08": 2, "q09": 175, "q10": 20,
    "q11": 1048, "q12": 2, "q13": 42, "q14": 1, "q15": 1, "q16": 18314, "q17": 1, "q18": 57, "q19": 1,
    "q20": 186, "q21": 100, "q22": 7,
}

#: Queries whose row count does not depend on the scale factor (it holds from SF 0.01 up).
#: Q9 joins to 175 rows (25 nations x 7 years) from SF 0.1; at SF 0.01 two pairs have no sales.
SCALE_FREE_ROWS = {"q01": 4, "q04": 5, "q05": 5, "q06": 1, "q07": 4, "q08": 2, "q12": 2, "q14": 1,
                   "q17": 1, "q19": 1, "q22": 7}

_SOURCE = re.compile(r"""\{\{\s*source\(\s*["']tpch["']\s*,\s*["'](\w+)["']\s*\)\s*\}\}""")
_REF = re.compile(r"""\{\{\s*ref\(\s*["'](\w+)["']\s*\)\s*\}\}""")


def refs(sql: str) -> list[str]:
    """The models ``sql`` refs, in order of first use."""
    return list(dict.fromkeys(_REF.findall(sql)))


def render_plain(sql: str, data_dir: Path) -> str:
    """``sql`` with sources as ``read_parquet('DATA_DIR/<table>.parquet')`` and refs as bare names."""
    def source(match: re.Match) -> str:
        path = (Path(data_dir) / f"{match.group(1)}.parquet").as_posix().replace("'", "''")
        return f"read_parquet('{path}')"

    return _REF.sub(lambda m: m.group(1), _SOURCE.sub(source, sql))


def run_all(data_dir: Path) -> dict[str, tuple[int, float]]:
    """Build every model as a table in an in-memory DuckDB; ``{name: (rows, seconds)}``."""
    import duckdb

    con = duckdb.connect()
    results = {}
    for name, sql in MODELS.items():
        started = time.perf_counter()
        con.execute(f'create table "{name}" as {render_plain(sql, data_dir)}')
        seconds = time.perf_counter() - started
        rows = con.sql(f'select count(*) from "{name}"').fetchall()[0][0]
        results[name] = (rows, seconds)
    con.close()
    return results


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m benchmarks.tpch_queries DATA_DIR", file=sys.stderr)
        return 2
    failed = 0
    for name, (rows, seconds) in run_all(Path(args[0])).items():
        expected = SCALE_FREE_ROWS.get(name)
        mark = "ok" if rows and (expected is None or rows == expected) else "WRONG"
        failed += mark != "ok"
        sf1 = EXPECTED_ROWS_SF1.get(name, "")
        print(f"{name:<26} {rows:>7} rows  {seconds:7.3f}s  {mark}  (SF 1: {sf1})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
