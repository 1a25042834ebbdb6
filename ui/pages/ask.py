"""Ask: a question to the mesh's language models, the answer streamed as it is written, with
a stop button, the model and the node that served it, and (grounded in a corpus) the sources
it was given."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from nicegui import ui

from hearthnet.domain.capability import BusError
from hearthnet.domain.rag import grounded
from ui.live import call
from ui.pages import Page
from ui.people import names
from ui.strings import plain_error, t
from ui.voice import Microphone, spoken, text_actions

if TYPE_CHECKING:
    from ui.ports import NodePorts


class AskPage:
    """One connection's Ask page."""

    def __init__(self, ports: NodePorts, me: str) -> None:
        self.ports, self.me = ports, me
        self.stopping = False
        ui.label(t("ask")).classes("text-xl font-bold")
        ui.label(t("ask_hint")).classes("text-sm opacity-80")
        self.question = (
            ui.textarea(t("ask_question")).props("outlined autogrow").classes("w-full max-w-2xl")
        ).mark("question")
        with ui.row().classes("w-full max-w-2xl gap-2 items-center"):
            self.model = ui.select({"": t("ask_any_model")}, value="", label=t("ask_model"))
            self.model.classes("min-w-48").mark("model")
            self.corpus = ui.select({"": t("ask_no_corpus")}, value="", label=t("ask_corpus"))
            self.corpus.classes("min-w-48").mark("corpus")
        with ui.row().classes("gap-2"):
            self.send = ui.button(t("ask_send"), icon="send", on_click=self.ask).mark("ask")
            Microphone(ports, self.ask_spoken)
            self.stop = ui.button(t("ask_stop"), icon="stop", on_click=self.halt).props("outline")
            self.stop.mark("stop")
            self.stop.set_visibility(False)
        self.served = ui.label("").classes("text-sm opacity-70").mark("served")
        self.answer = ui.markdown("").classes("w-full max-w-2xl").mark("answer")
        self.sources = ui.column().classes("gap-0").mark("sources")
        self.after = ui.column().classes("w-full max-w-2xl gap-1")
        ui.timer(0.1, self.choices, once=True)

    async def choices(self) -> None:
        """Fill the model and corpus choices from the mesh."""
        found = await call(self.ports, "llm.models", {"everywhere": True})
        if found is not None:
            chat = sorted({m["name"] for m in found["models"] if m["kind"] == "chat"})
            self.model.set_options({"": t("ask_any_model"), **{m: m for m in chat}}, value="")
        corpora = await call(self.ports, "rag.list_corpora", {})
        if corpora is not None:
            named = {c["name"]: c["name"] for c in corpora["corpora"]}
            self.corpus.set_options({"": t("ask_no_corpus"), **named}, value="")

    def halt(self) -> None:
        """Stop the answer being written."""
        self.stopping = True

    async def ask_spoken(self, question: str) -> None:
        """Ask what was said, and read the answer aloud."""
        self.question.set_value(question)
        answer = await self.ask()
        if answer:
            await spoken(self.ports, answer, self.after)

    async def ask(self) -> str:
        """Stream the answer to the question; return its text."""
        question = (self.question.value or "").strip()
        if not question:
            return ""
        self.after.clear()
        self.stopping, text = False, ""
        self.answer.set_content("")
        self.served.set_text("")
        self.sources.clear()
        self.send.disable()
        self.stop.set_visibility(True)
        try:
            chunks = await self._sources(question)
            data = {"messages": grounded(question, chunks), "max_tokens": 512}
            frames = self.ports.bus.stream("llm.chat", data, {"model": self.model.value or ""})
            async with contextlib.aclosing(frames):
                async for event, frame in frames:
                    if self.stopping:
                        text += f"\n\n*{t('ask_stopped')}*"
                        break
                    if event == "start":
                        who = await names(self.ports, self.me)
                        node = who.get(frame["node"], frame["node"][8:20])
                        self.served.set_text(t("ask_served", model=frame["model"], node=node))
                    elif event == "token":
                        text += frame["text"]
                    elif event == "error":
                        said, details = plain_error(frame["error"], frame.get("message", ""))
                        ui.notify(said, caption=details, type="negative", multi_line=True)
                    self.answer.set_content(text)
            self.answer.set_content(text)
        except BusError as exc:
            said, details = plain_error(exc.code, exc.message)
            ui.notify(said, caption=details, type="negative", multi_line=True)
        finally:
            self.send.enable()
            self.stop.set_visibility(False)
        if text.strip():
            with self.after:
                text_actions(self.ports, text)
        return text

    async def _sources(self, question: str) -> list[dict[str, Any]]:
        if not self.corpus.value:
            return []
        found = await call(
            self.ports, "rag.query", {"query": question, "k": 4}, {"corpus": self.corpus.value}
        )
        chunks: list[dict[str, Any]] = found["chunks"] if found else []
        with self.sources:
            if chunks:
                ui.label(t("ask_sources")).classes("font-bold")
            for c in chunks:
                meta = c["metadata"]
                ui.label(f"[{c['rank']}] {meta['doc_title']}, p. {meta['page']}").classes(
                    "text-sm"
                ).tooltip(c["text"][:300])
        return chunks


def build(ports: NodePorts, me: str) -> None:
    """The Ask page."""
    AskPage(ports, me)


PAGE = Page("/ask", "ask", "question_answer", build)
