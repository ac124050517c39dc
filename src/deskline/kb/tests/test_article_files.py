"""Images and attachments of articles: uploaded by editors, shown to readers."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import MULTIPART_CONTENT

from deskline.kb import services

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(api, article, name: str, content: bytes, content_type: str = "image/png"):
    return api.post(
        f"/kb/articles/{article.pk}/files",
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
        content_type=MULTIPART_CONTENT,
    )


def test_image_in_a_public_article_shows_in_the_help_center(support_desk, agent_on, api_for):
    agent = agent_on(support_desk)
    article = services.create_article(
        support_desk, actor=agent, title="Where is the reset button", state="published"
    )
    response = upload(api_for(agent), article, "button.png", PNG)
    assert response.status_code == 201, response.content
    item = response.json()
    assert item["content_type"] == "image/png" and item["size"] == len(PNG)
    assert item["markdown"] == f"![button.png]({item['url']})"

    services.update_article(
        article, actor=agent, changes={"body": f"Click here:\n\n{item['markdown']}"}
    )
    page = Client().get(f"/help/support/articles/{article.pk}/").content.decode()
    assert f'src="{item["url"]}"' in page
    assert f'<a href="{item["url"]}">button.png</a>' in page
    image = Client().get(item["url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == PNG
    assert [f["id"] for f in Client().get(f"/api/v1/kb/articles/{article.pk}/files").json()] == [
        item["id"]
    ]


def test_files_of_articles_a_reader_may_not_see_are_missing(
    support_desk, agent_on, make_user, api_for
):
    agent = agent_on(support_desk)
    draft = services.create_article(support_desk, actor=agent, title="Not yet")
    item = upload(api_for(agent), draft, "notes.txt", b"secret plan", "text/plain").json()
    assert Client().get(item["url"]).status_code == 404
    assert api_for(make_user()).get(item["url"].removeprefix("/api/v1")).status_code == 404
    assert api_for(agent).get(item["url"].removeprefix("/api/v1")).status_code == 200


def test_only_editors_upload_and_dangerous_files_are_refused(
    support_desk, agent_on, make_user, api_for
):
    agent = agent_on(support_desk)
    article = services.create_article(support_desk, actor=agent, title="Public", state="published")
    assert upload(api_for(make_user()), article, "x.png", PNG).status_code == 403
    viewer = agent_on(support_desk, role="light_agent")
    assert upload(api_for(viewer), article, "x.png", PNG).status_code == 403
    refused = upload(api_for(agent), article, "setup.exe", b"MZ\x90\x00", "application/x-msdos")
    assert refused.status_code == 422
    html = upload(api_for(agent), article, "page.html", b"<script>alert(1)</script>", "text/html")
    download = Client().get(html.json()["url"])
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment")
