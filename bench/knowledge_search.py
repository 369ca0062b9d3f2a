"""Knowledge-base search at Ningxia's size: agents' queries over 50,000 Chinese entries on PostgreSQL.

Makes a scratch database (dropped at the end), migrates it and bulk-loads ``--entries`` generated
articles with COPY: titles and bodies (100–400 characters) built from the 12345 matter vocabulary of
the shipped dispatch catalogue (its matters, keywords and department names) joined by the phrases a
knowledge article uses; the bigram search terms are computed as the app computes them
(``tickets.knowledge.index_terms``); a tenth are retired or expired. Then ``--queries`` searches of
2–8 characters drawn from the same vocabulary go through the agents' path
(``tickets.knowledge.find_for_agents``: active and unexpired entries, ranked, top 5 with snippets),
each timed from the call to its return.

Prints one JSON object: ``entries``, ``p50_ms``, ``p95_ms`` (the searches), ``baseline_ms`` (the median
of a primary-key SELECT of one article through the same sessions, in the same run), ``queries`` and
``mean_hits``. Target (issue 11): ``p95_ms`` < 50.

    .venv/bin/python -m bench.knowledge_search [--entries 50000] [--queries 200] [--seed 12345]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import yaml
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bench.scratch_pg import scratch_database
from hotline.db.engine import make_engine, migrate, session_factory
from tickets import knowledge
from tickets.models import KnowledgeArticle

CATALOGUE = Path(__file__).resolve().parent.parent / "tickets" / "data" / "dispatch_catalogue.yaml"
TODAY = knowledge.today()
NOW = datetime.now(UTC)
CATEGORIES = ["consult", "help", "complaint", "report", "suggestion", "praise"]
TITLE_TAILS = ["办理指南", "受理口径", "常见问题", "政策解读", "投诉处理流程", "答复要点", "咨询指引"]
PHRASES = [
    "市民来电反映{k}问题时，坐席应先核实具体地址和发生时间",
    "根据{d}的规定，{k}相关事项由其负责受理",
    "如涉及{m}，请告知市民可通过12345热线或政务服务网办理",
    "{k}属于{m}范围，一般在五个工作日内答复",
    "市民咨询{k}，可直接答复办理条件、所需材料和办理时限",
    "紧急情况下的{k}，请转{d}值班电话并登记工单",
    "对{k}的投诉，应记录五要素后派{d}处理",
    "{m}的最新政策以{d}官方公告为准",
]


def vocabulary() -> tuple[list[str], list[str], list[str]]:
    """The matters, keywords and department names of the shipped dispatch catalogue."""
    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    departments = [d["name"] for d in data["departments"]]
    matters = [e["matter"] for e in data["entries"]]
    keywords = sorted({k for e in data["entries"] for k in e.get("keywords", [])})
    return matters, keywords, departments


def _body(rng: random.Random, matter: str, keywords: list[str], departments: list[str]) -> str:
    target = rng.randint(100, 400)
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < target:
        phrase = rng.choice(PHRASES)
        parts.append(phrase.format(k=rng.choice(keywords), d=rng.choice(departments), m=matter))
    return ("。".join(parts) + "。")[:target]


def entries(n: int, rng: random.Random) -> Iterator[tuple[object, ...]]:
    """COPY rows of ``n`` generated articles."""
    matters, keywords, departments = vocabulary()
    for i in range(n):
        matter = matters[i % len(matters)]
        own = rng.sample(keywords, 3)
        title = f"{matter}{rng.choice(TITLE_TAILS)}（{own[0]}）"
        body = _body(rng, matter, own + rng.sample(keywords, 2), departments)
        tags = own[:2]
        title_terms, body_terms = knowledge.index_terms(title, body, tags)
        status = "retired" if i % 20 == 7 else "active"
        expires = TODAY - timedelta(days=1 + i % 30) if i % 20 == 11 else TODAY + timedelta(days=i % 400)
        yield (
            title, body, json.dumps(tags, ensure_ascii=False), title_terms, body_terms, "bench", NOW, NOW,
            status, CATEGORIES[i % len(CATEGORIES)], expires if i % 3 else None, 1,
        )  # fmt: skip


def load(url: str, n: int, seed: int) -> None:
    """Bulk-load ``n`` articles with COPY, then ANALYZE."""
    u = make_url(url)
    conninfo = f"host={u.host} port={u.port} user={u.username} dbname={u.database}"
    if u.password:
        conninfo += f" password={u.password}"
    columns = (
        "title, body, tags, title_terms, body_terms, created_by, created_at, updated_at, status, category, "
        "expires_on, version"
    )
    with psycopg.connect(conninfo) as conn:
        with conn.cursor() as cur, cur.copy(f"COPY knowledge_articles ({columns}) FROM STDIN") as copy:
            for row in entries(n, random.Random(seed)):
                copy.write_row(row)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE knowledge_articles")


def queries(count: int, rng: random.Random) -> list[str]:
    """Searches of 2–8 characters: keywords, parts of matters, or two keywords run together."""
    matters, keywords, _ = vocabulary()
    found: list[str] = []
    while len(found) < count:
        kind = rng.random()
        if kind < 0.5:
            q = rng.choice(keywords)
        elif kind < 0.8:
            m = rng.choice(matters)
            size = rng.randint(2, min(8, len(m)))
            start = rng.randint(0, len(m) - size)
            q = m[start : start + size]
        else:
            q = rng.choice(keywords) + rng.choice(keywords)
        if 2 <= len(q) <= 8:
            found.append(q)
    return found


def _ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def measure(url: str, n: int, count: int, seed: int) -> dict[str, object]:
    """Time ``count`` agent searches and as many primary-key reads."""
    engine = make_engine(url)
    sm = session_factory(engine)
    rng = random.Random(seed + 1)
    try:
        asked = queries(count, rng)
        knowledge.find_for_agents(sm, query=asked[0], limit=5)
        times: list[float] = []
        hits: list[int] = []
        for q in asked:
            t0 = time.perf_counter()
            found = knowledge.find_for_agents(sm, query=q, limit=5, on=TODAY)
            times.append(time.perf_counter() - t0)
            hits.append(len(found))
        base: list[float] = []
        for _ in range(count):
            article_id = rng.randint(1, n)
            t0 = time.perf_counter()
            with sm() as s:
                s.execute(
                    select(KnowledgeArticle).where(KnowledgeArticle.id == article_id)
                ).scalar_one_or_none()
            base.append(time.perf_counter() - t0)
    finally:
        engine.dispose()
    return {
        "entries": n,
        "p50_ms": _ms(times, 0.5),
        "p95_ms": _ms(times, 0.95),
        "baseline_ms": round(statistics.median(base) * 1000, 2),
        "queries": count,
        "mean_hits": round(statistics.mean(hits), 2),
    }


def main() -> None:
    """Parse the options, build the scratch database, print the JSON, drop the database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()
    with scratch_database("hotline_bench_knowledge") as url:
        migrate(url)
        load(url, args.entries, args.seed)
        print(json.dumps(measure(url, args.entries, args.queries, args.seed)), flush=True)


if __name__ == "__main__":
    main()
