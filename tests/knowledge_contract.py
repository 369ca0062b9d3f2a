"""The knowledge-base contract (search, lifecycle, import): the same tests on SQLite
(tests/unit/test_tickets_contract.py) and PostgreSQL (tests/integration/test_tickets_postgres.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.migrated_db import MigratedDatabase
from tickets import knowledge, knowledge_admin, knowledge_import
from tickets.errors import TicketNotFoundError
from tickets.knowledge_admin import ArticleFields, ListFilter, ListStatus, VersionConflictError
from tickets.knowledge_import import ImportRefusedError


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

    def test_knowledge_edit_reindexes_and_keeps_the_previous_text(self, sm: sessionmaker[Session]) -> None:
        article = knowledge_admin.create_article(
            sm, ArticleFields(title="停水查询", body="计划停水看公告", category="consult"), by="sup"
        )
        edited = knowledge_admin.edit_article(
            sm,
            article.id,
            ArticleFields(title="供暖报修", body="暖气不热请报修"),
            by="admin",
            expected_version=1,
        )
        assert (edited.version, edited.updated_by, edited.category) == (2, "admin", None)
        assert [h.article.id for h in knowledge.search_articles(sm, query="暖气不热")] == [article.id]
        assert knowledge.search_articles(sm, query="计划停水") == []
        [old] = knowledge_admin.versions(sm, article.id)
        assert (old.version, old.title, old.category, old.edited_by) == (1, "停水查询", "consult", "admin")
        with pytest.raises(VersionConflictError):
            knowledge_admin.edit_article(
                sm, article.id, ArticleFields(title="x", body="y"), by="admin", expected_version=1
            )
        assert knowledge_admin.versions(sm, article.id)[0].version == 1, "a refused edit stores nothing"

    def test_knowledge_retired_and_expired_are_not_offered_but_listed(
        self, sm: sessionmaker[Session]
    ) -> None:
        on = date(2027, 3, 1)
        now = datetime(2027, 3, 1, 2, tzinfo=UTC)
        body = "占道经营可向城管部门反映"
        fields = ArticleFields(title="占道经营", body=body, category="complaint")
        plain = knowledge_admin.create_article(sm, fields, by="a", now=now)
        expired = knowledge_admin.create_article(
            sm, replace(fields, expires_on=date(2027, 2, 28)), by="a", now=now
        )
        due = knowledge_admin.create_article(
            sm, replace(fields, expires_on=date(2027, 3, 1)), by="a", now=now
        )
        knowledge_admin.set_retired(sm, plain.id, retired=True, by="a", now=now)
        assert [h.article.id for h in knowledge.search_articles(sm, query="占道", on=on)] == [due.id]
        [hit] = knowledge.find_for_agents(sm, query="城管部门", on=on)
        assert [hit.snippet[a:b] for a, b in hit.highlights] == ["城管部门"]

        def ids(f: ListFilter) -> list[int]:
            return [a.id for a in knowledge_admin.list_articles(sm, f, now=now).items]

        assert ids(ListFilter(status=ListStatus.EXPIRED)) == [expired.id]
        assert ids(ListFilter(status=ListStatus.RETIRED)) == [plain.id]
        assert ids(ListFilter(status=ListStatus.ACTIVE, expiring_within_days=0)) == [due.id]
        everything = sorted([plain.id, expired.id, due.id])
        assert sorted(ids(ListFilter(query="城管", category="complaint"))) == everything
        knowledge_admin.set_retired(sm, plain.id, retired=False, by="a", now=now)
        assert {h.article.id for h in knowledge.search_articles(sm, query="占道", on=on)} == {
            plain.id,
            due.id,
        }

    def test_knowledge_import_is_all_or_nothing(self, sm: sessionmaker[Session]) -> None:
        good = "title,body,tags\n停水,计划停水看公告,停水|供水\n供暖,暖气不热请报修,\n".encode()
        ids = knowledge_import.import_articles(sm, good, kind="csv", by="sup")
        assert len(ids) == 2
        assert knowledge.get_article(sm, article_id=ids[0]).tags == ("停水", "供水")
        bad = '[{"title": "燃气", "body": "燃气泄漏请拨打119"}, {"title": "", "body": "x"}]'.encode()
        with pytest.raises(ImportRefusedError) as refused:
            knowledge_import.import_articles(sm, bad, kind="json", by="sup")
        assert [(e.row, e.field) for e in refused.value.errors] == [(2, "title")]
        assert knowledge.search_articles(sm, query="燃气泄漏") == []
