"""The knowledge-base search contract: the same tests on SQLite (tests/unit/test_tickets_contract.py) and
PostgreSQL (tests/integration/test_tickets_postgres.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.migrated_db import MigratedDatabase
from tickets import knowledge
from tickets.errors import TicketNotFoundError


class KnowledgeContract(MigratedDatabase):
    """Chinese search over articles: bigrams, ranking, fallbacks, hostile queries."""

    def test_knowledge_search_finds_chinese_by_bigrams_best_first(self, sm: sessionmaker[Session]) -> None:
        noise = knowledge.add_article(
            sm,
            title="噪音扰民怎么投诉",
            body="夜间施工噪音可向住建部门反映，社会生活噪声可向公安机关反映。",
            tags=["噪音", "施工"],
            created_by="admin",
        )
        water = knowledge.add_article(
            sm,
            title="停水查询",
            body="计划停水信息在水务集团公众号发布，突发停水请拨打12345。",
            created_by="admin",
        )
        knowledge.add_article(
            sm, title="Social security card", body="社保卡补办流程 SSC replace", created_by="a"
        )
        hits = knowledge.search_articles(sm, query="晚上工地施工噪音太大了")
        assert [h.article.id for h in hits] == [noise.id]
        assert hits[0].score > 0
        assert hits[0].article.tags == ("噪音", "施工")
        assert [h.article.id for h in knowledge.search_articles(sm, query="停水")] == [water.id]
        assert [h.article.title for h in knowledge.search_articles(sm, query="SOCIAL card")] == [
            "Social security card"
        ]
        assert knowledge.search_articles(sm, query="完全无关的内容") == []
        assert knowledge.search_articles(sm, query="！？。") == []

    def test_knowledge_title_outranks_body_and_single_characters_fall_back_to_substring(
        self, sm: sessionmaker[Session]
    ) -> None:
        in_body = knowledge.add_article(
            sm, title="办事指南", body="关于供暖费用的缴纳方式", created_by="admin"
        )
        in_title = knowledge.add_article(sm, title="供暖费用", body="缴纳方式见下文", created_by="admin")
        assert [h.article.id for h in knowledge.search_articles(sm, query="供暖费用")] == [
            in_title.id,
            in_body.id,
        ]
        single = knowledge.search_articles(sm, query="暖")
        assert [h.article.id for h in single] == [in_title.id, in_body.id]
        hostile = knowledge.search_articles(sm, query="\" OR 1=1 -- ' NEAR( * 供暖")
        assert {h.article.id for h in hostile} == {in_title.id, in_body.id}
        with pytest.raises(TicketNotFoundError):
            knowledge.get_article(sm, article_id=9999)
