"""The browser-test infrastructure itself: a real served stack, Chromium, axe, screenshots."""

from __future__ import annotations

import os
import re

import httpx
import pytest

from tests.e2e.stack import GraphQLErrors, Stack, StackError, free_port

HONEY = """
query($search: String!) {
  products(first: 50, channel: "online", filter: {search: $search}) {
    edges { node { name thumbnail(size: 160) { url } } }
  }
}"""
ME = "{ me { email role } }"
CJK = re.compile(r"[\u4e00-\u9fff]")
# Two different characters drawn on canvases: with a CJK font their pixels differ; without
# one both are the same "missing glyph" box (or nothing at all).
GLYPHS_DIFFER = """() => {
  const draw = (text) => {
    const canvas = document.createElement("canvas");
    canvas.width = 64; canvas.height = 64;
    const ctx = canvas.getContext("2d");
    ctx.font = "48px sans-serif";
    ctx.fillText(text, 4, 52);
    return Array.from(ctx.getImageData(0, 0, 64, 64).data);
  };
  const a = draw("蜂"), b = draw("蜜");
  const inked = a.some((v, i) => i % 4 === 3 && v > 0);
  return inked && a.some((v, i) => v !== b[i]);
}"""
NO_ALT_PAGE = "<html lang=en><title>t</title><main><img src=x></main></html>"


def test_backend_answers_graphql_over_http(e2e_stack: Stack) -> None:
    assert e2e_stack.backend_url.startswith("http://127.0.0.1:")
    data = e2e_stack.graphql(HONEY, {"search": "蜂蜜"})
    nodes = [edge["node"] for edge in data["products"]["edges"]]
    assert nodes, "the demo county sells honey"
    assert all("蜂蜜" in node["name"] for node in nodes), [n["name"] for n in nodes]
    # photos and thumbnails were loaded, and the backend serves them
    url = nodes[0]["thumbnail"]["url"]
    assert url.startswith(e2e_stack.backend_url + "/media/"), url
    image = httpx.get(url, timeout=10)
    assert image.status_code == 200
    assert image.content[:4] == b"RIFF" and image.content[8:12] == b"WEBP"

    empty = e2e_stack.graphql(HONEY, {"search": "没有这种商品"})
    assert empty["products"]["edges"] == []


def test_graphql_helper_raises_with_the_errors(e2e_stack: Stack) -> None:
    with pytest.raises(GraphQLErrors, match="noSuchField"):
        e2e_stack.graphql("{ noSuchField }")
    response = e2e_stack.graphql_response("{ noSuchField }")
    assert response.json()["errors"]


def test_token_for_signs_in_a_demo_user(e2e_stack: Stack) -> None:
    token = e2e_stack.token_for("consumer@example.com")
    assert e2e_stack.graphql(ME, token=token)["me"] == {
        "email": "consumer@example.com",
        "role": "CONSUMER",
    }
    assert e2e_stack.graphql(ME)["me"] is None
    with pytest.raises(AssertionError, match=r"tokenCreate for consumer@example\.com failed"):
        e2e_stack.token_for("consumer@example.com", password="wrong-password")


def test_stack_uses_its_own_fresh_database(e2e_stack: Stack) -> None:
    name = f"e2e_alliance_{os.getpid()}"
    assert e2e_stack.database_url.split("?")[0].endswith("/" + name)
    assert e2e_stack.sql("SELECT current_database()") == [(name,)]
    demo_logins = e2e_stack.sql(
        "SELECT count(*) FROM accounts_user WHERE email = ANY(%s)",
        [["staff@example.com", "secretary@example.com", "operator@example.com"]],
    )
    assert demo_logins == [(3,)]


def test_storefront_serves_html(e2e_stack: Stack) -> None:
    response = httpx.get(e2e_stack.storefront_url + "/", timeout=15)
    assert response.status_code == 200, response.text[:500]
    assert "<html" in response.text
    assert re.search(r"<title>[^<]+</title>", response.text)


def test_chromium_renders_chinese(e2e_stack: Stack, page, shot) -> None:
    page.goto(e2e_stack.storefront_url + "/")
    assert CJK.search(page.inner_text("body")), page.inner_text("body")[:500]
    path = shot(page, "home")
    assert path.name == "home.png" and path.parent.name.endswith("test_chromium_renders_chinese")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1024

    page.set_content("<html lang=zh-CN><meta charset=utf-8><body>蜂蜜</body></html>")
    assert page.evaluate(GLYPHS_DIFFER), "Chinese renders as boxes: is fonts-wqy-microhei there?"


def test_phone_page_is_a_phone(phone_page) -> None:
    phone_page.set_content(
        '<html><meta name="viewport" content="width=device-width"><body>手机</body></html>'
    )
    assert phone_page.evaluate("[innerWidth, devicePixelRatio, navigator.maxTouchPoints > 0]") == [
        390,
        3,
        True,
    ]
    assert "Mobile" in phone_page.evaluate("navigator.userAgent")
    assert phone_page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == (
        "Asia/Shanghai"
    )


def test_axe_finds_a_missing_alt(page, axe, artifacts_dir) -> None:
    page.set_content(NO_ALT_PAGE)
    violations = axe.check(page, "no-alt")
    assert "image-alt" in [v["id"] for v in violations]
    assert (artifacts_dir / "axe-no-alt.json").stat().st_size > 1024

    with pytest.raises(AssertionError) as failure:
        axe.assert_clean(page, "no-alt-strict")
    message = str(failure.value)
    assert "image-alt" in message and "critical" in message and "img" in message

    page.set_content("<html lang=en><title>t</title><main><img src=x alt=蜂蜜></main></html>")
    assert "image-alt" not in [v["id"] for v in axe.assert_clean(page, "with-alt")]


def test_storefront_answers_with_the_backend_down(e2e_stack: Stack) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with e2e_stack.start_storefront(backend_url=dead) as storefront:
        assert storefront.url != e2e_stack.storefront_url
        response = httpx.get(storefront.url + "/", timeout=30)
        assert 200 <= response.status_code <= 503, response.status_code
    with pytest.raises(httpx.ConnectError):
        httpx.get(storefront.url + "/", timeout=5)


def test_a_server_that_dies_at_start_up_is_reported(e2e_stack: Stack) -> None:
    with (
        pytest.raises(StackError, match=r"(?s)exited with status.*is not a boolean"),
        e2e_stack.start_storefront(DEBUG="maybe"),
    ):
        pass
