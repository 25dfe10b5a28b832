"""Shared steps of the console browser tests: sign in, read messages, a plain-HTTP session."""

from __future__ import annotations

import io
import re

import httpx
from PIL import Image
from playwright.sync_api import Page

from tests.e2e.stack import DEMO_PASSWORD, Stack

OPERATOR = "operator@example.com"
SECRETARY = "secretary@example.com"
STAFF = "staff@example.com"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def sign_in(page: Page, stack: Stack, email: str) -> None:
    page.goto(stack.storefront_url + "/console/login/")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/console/(?!login)"))


def messages(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(".c-msg").all_inner_texts()]


def jpeg_bytes(width: int = 1200, height: int = 900) -> bytes:
    image = Image.new("RGB", (width, height), (196, 40, 40))
    for x in range(0, width, 60):  # some detail, so that the file is not trivially small
        for y in range(0, height, 60):
            image.putpixel((x, y), (255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


class ConsoleSession:
    """A signed-in console session over plain HTTP, for forged requests a page would not send."""

    def __init__(self, stack: Stack, email: str):
        self.client = httpx.Client(base_url=stack.storefront_url, follow_redirects=True, timeout=30)
        self.csrf = self.token("/console/login/")
        answer = self.client.post(
            "/console/login/",
            data={"email": email, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": self.csrf},
        )
        assert answer.status_code == 200 and "/console/login/" not in str(answer.url), answer.text
        self.csrf = self.token("/console/")

    def token(self, path: str) -> str:
        match = CSRF.search(self.client.get(path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post(self, path: str, data: dict[str, str | list[str]]) -> httpx.Response:
        return self.client.post(path, data={**data, "csrfmiddlewaretoken": self.csrf})

    def close(self) -> None:
        self.client.close()


def page_messages(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", m).strip()
        for m in re.findall(r'class="c-msg[^"]*">(.*?)</li>', html, re.S)
    ]
