"""The CI workflow ``publisher init`` writes: publish on every push to main, never twice.

``.github/workflows/publish.yml`` runs, in this order: ``check``; ``publish-ready`` (every issue
marked ``status: ready`` that the ledger does not list as sent; before each send the backend
asks the ESP whether it already went out, so a lost ledger cannot cause a second send);
``build`` (with ``.publisher/cache`` restored from the last run by ``actions/cache``, so only
what changed is converted and indexed again); a commit of the ledger and the slug map back
to the branch (also when a step before it failed, so a send is never forgotten); ``deploy``.
One run at a time (``concurrency``), never cancelled half way. Secrets come from the
repository's secret store into the steps that need them, and nowhere else. README carries the
GitLab CI twin.
"""

from __future__ import annotations

GITHUB_WORKFLOW_PATH = ".github/workflows/publish.yml"
#: what the workflow commits back after a run: the records a second machine needs (the
#: delivery logs name recipients by keyed tokens only, see publisher.privacy)
RECORDS = (".publisher/ledger.jsonl", ".publisher/slugs.json", ".publisher/deliveries")

#: the step that restores the archive's build cache before ``publisher build``
#: (:func:`with_cache_step` puts it into a workflow an older ``init`` wrote)
CACHE_STEP = """\
      # the archive's build cache (converted bodies, the search index and the pages it
      # was made from; nothing personal): a build after a push converts only what changed
      - name: Restore the archive's build cache
        uses: actions/cache@v4
        with:
          path: .publisher/cache
          key: publisher-cache-${{ github.run_id }}
          restore-keys: publisher-cache-
"""
BUILD_STEP = """\
      - name: Build the archive
        run: publisher build
"""

GITHUB_WORKFLOW = """\
# Written by `publisher init`. On every push to main: check the newsletter, send the issues
# marked `status: ready` that were never sent, commit the send ledger and the slug map back,
# build the web archive and deploy it (newsletter.yaml, deploy.method).
#
# Set up once (Settings -> Secrets and variables -> Actions):
#   variable PUBLISHER_PACKAGE  where pip gets publisher, e.g.
#                               "publisher[s3] @ git+https://github.com/OWNER/publisher@v0.1.0"
#   secrets for your backend    SENDSAY_APIKEY, or SMTP_USER + SMTP_PASSWORD
#   for SMTP/outbox lists       PUBLISHER_SUBSCRIBERS: the subscribers/ folder, packed with
#                               `tar -czf - -C subscribers . | base64 -w0` (addresses stay out
#                               of git; GitHub caps a secret at 48 KB, so a big list belongs
#                               at the ESP), and PUBLISHER_ADDRESS_KEY: the content of
#                               .publisher/address.key (delivery logs name people by tokens
#                               of that key; without it CI refuses to resume a send)
#   secrets for deploy.method   DEPLOY_SSH_KEY + DEPLOY_SSH_KNOWN_HOSTS (rsync), or
#                               AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (s3)
#   variable PUBLISHER_PAGES    "true" to publish the archive with GitHub Pages instead
name: Publish

on:
  push:
    branches: [main]
  workflow_dispatch:

# One run at a time, and a running one is never cancelled: two runs must not send one issue.
concurrency:
  group: publish-${{ github.ref }}
  cancel-in-progress: false

permissions:
  contents: write  # to commit the ledger and the slug map back

jobs:
  publish:
    runs-on: ubuntu-latest
    timeout-minutes: 60
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install publisher
        id: install
        env:
          PUBLISHER_PACKAGE: ${{ vars.PUBLISHER_PACKAGE }}
        run: |
          if [ -z "$PUBLISHER_PACKAGE" ]; then
            echo "::error::Set the repository variable PUBLISHER_PACKAGE (see the top of this file)"
            exit 1
          fi
          python -m pip install --disable-pip-version-check "$PUBLISHER_PACKAGE"
      - name: Check every issue
        run: publisher check
      - name: Publish the issues marked ready
        env:
          SENDSAY_APIKEY: ${{ secrets.SENDSAY_APIKEY }}
          SMTP_USER: ${{ secrets.SMTP_USER }}
          SMTP_PASSWORD: ${{ secrets.SMTP_PASSWORD }}
          PUBLISHER_ADDRESS_KEY: ${{ secrets.PUBLISHER_ADDRESS_KEY }}
          PUBLISHER_SUBSCRIBERS: ${{ secrets.PUBLISHER_SUBSCRIBERS }}
        run: |
          if [ -n "$PUBLISHER_SUBSCRIBERS" ]; then
            # the lists come from the secret store into a folder git ignores, never echoed
            (umask 077 && mkdir -p subscribers &&
              printf '%s' "$PUBLISHER_SUBSCRIBERS" | base64 --decode | tar -xzf - -C subscribers)
            count=$(find subscribers -type f | wc -l)
            echo "Subscriber lists from the secret store: ${count} file(s)"
          fi
          unset PUBLISHER_SUBSCRIBERS
          publisher publish-ready
""" + CACHE_STEP + BUILD_STEP + """\
      - name: Commit the ledger and the slug map
        if: ${{ !cancelled() }}
        run: |
          for record in .publisher/ledger.jsonl .publisher/slugs.json .publisher/deliveries; do
            if [ -e "$record" ]; then git add -- "$record"; fi
          done
          if git diff --cached --quiet; then
            echo "Nothing new to record."
            exit 0
          fi
          git -c user.name="publisher (CI)" -c user.email="publisher-ci@users.noreply.github.com" \\
            commit --quiet -m "publisher: record sends and archive slugs [skip ci]"
          git pull --quiet --rebase
          git push --quiet
      - name: Deploy the archive
        if: ${{ vars.PUBLISHER_PAGES != 'true' }}
        env:
          DEPLOY_SSH_KEY: ${{ secrets.DEPLOY_SSH_KEY }}
          DEPLOY_SSH_KNOWN_HOSTS: ${{ secrets.DEPLOY_SSH_KNOWN_HOSTS }}
          AWS_ACCESS_KEY_ID: ${{ secrets.AWS_ACCESS_KEY_ID }}
          AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}
        run: publisher deploy
      - uses: actions/upload-pages-artifact@v3
        if: ${{ vars.PUBLISHER_PAGES == 'true' }}
        with:
          path: _site

  pages:
    needs: publish
    if: ${{ vars.PUBLISHER_PAGES == 'true' }}
    runs-on: ubuntu-latest
    permissions:
      pages: write
      id-token: write
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""


def with_cache_step(text: str) -> tuple[str, str]:
    """An existing workflow brought up to date with :data:`CACHE_STEP`: ``("present", text)``
    when it already restores ``.publisher/cache``; ``("added", new text)`` when it has the
    build step ``init`` writes (the cache step goes right before it, the author's other
    edits and line ends kept); ``("manual", text)`` otherwise (the author's own layout:
    they are shown the step to add)."""
    if ".publisher/cache" in text:
        return "present", text
    newline = "\r\n" if "\r\n" in text else "\n"
    build = BUILD_STEP.replace("\n", newline)
    if text.count(build) != 1:
        return "manual", text
    return "added", text.replace(build, CACHE_STEP.replace("\n", newline) + build)

