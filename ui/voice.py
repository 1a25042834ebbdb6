"""Speech and translation on the pages: a "read aloud" and a "translate" button for any text
(a post, a message, an alert, an answer), and a microphone that records in the browser and
has the mesh write down what was said."""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nicegui import ui

from hearthnet.domain.capability import BusError
from ui.live import call
from ui.strings import language, plain_error, t

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from nicegui.events import GenericEventArguments

    from ui.ports import NodePorts

MAX_RECORDING_S = 60
MAX_RECORDING_BYTES = 900_000
"""A minute of the browser's Opus recording is well under this."""
RECORD_JS = """
(async () => {
  const button = getElement(%(id)d).$el;
  if (window.hnRecorder) { window.hnRecorder.stop(); return; }
  let stream;
  const plain = {echoCancellation: false, noiseSuppression: false, autoGainControl: false};
  try { stream = await navigator.mediaDevices.getUserMedia({audio: plain}); }
  catch (e) { emitEvent('hn_voice_%(id)d', {error: String(e)}); return; }
  const recorder = new MediaRecorder(stream);
  const parts = [];
  recorder.ondataavailable = (e) => parts.push(e.data);
  recorder.onstop = () => {
    stream.getTracks().forEach((track) => track.stop());
    window.hnRecorder = null;
    button.classList.remove('hn-recording');
    const reader = new FileReader();
    reader.onload = () => emitEvent('hn_voice_%(id)d', {audio: reader.result.split(',')[1]});
    reader.readAsDataURL(new Blob(parts, {type: recorder.mimeType}));
  };
  window.hnRecorder = recorder;
  window.hnRecordingSince = performance.now();
  button.classList.add('hn-recording');
  recorder.start();
  setTimeout(() => recorder.state === 'recording' && recorder.stop(), %(limit)d);
})();
"""


def _notify(exc: BusError) -> None:
    said, details = plain_error(exc.code, exc.message)
    ui.notify(said, caption=details, type="negative", multi_line=True)


async def spoken(ports: NodePorts, text: str, holder: ui.element, *, private: bool = False) -> None:
    """Have the mesh speak a text (in the language it is written in) and play it; a private
    text is spoken by this node or not at all."""
    data = {"text": text[:5000], "language": "auto", "format": "ogg_opus"}
    params = {"here_only": private}
    audio, media = bytearray(), "audio/ogg"
    try:
        async for event, frame in ports.bus.stream("tts.synthesize", data, params):
            if event == "chunk":
                audio += base64.b64decode(frame["data_b64"])
            elif event == "done":
                media = frame["media_type"]
            elif event == "error":
                raise BusError(frame["error"], frame.get("message", ""))
    except BusError as exc:
        _notify(exc)
        return
    holder.clear()
    with holder:
        source = f"data:{media};base64,{base64.b64encode(audio).decode()}"
        ui.audio(source, autoplay=True).classes("w-full max-w-md").mark("spoken")


async def translated(ports: NodePorts, text: str, shown: ui.label, *, private: bool) -> None:
    """Show a text in the language of the dashboard, translated by a node that can (a
    private text by this node or not at all)."""
    data = {"text": text[:4000], "to": language()}
    out = await call(ports, "trans.text", data, {"here_only": private})
    if out is None:
        return
    if out["from"] == out["to"]:
        shown.set_text(t("already_in_language"))
    else:
        shown.set_text(f"{out['text']}\n({t('translated', source=out['from'], target=out['to'])})")
    shown.set_visibility(True)


def text_actions(ports: NodePorts, text: str, *, private: bool = False) -> None:
    """Buttons to read a text aloud and to translate it, the translation and the audio
    below them; a private text (a message) never leaves this node for it."""
    with ui.column().classes("gap-1 w-full"):
        with ui.row().classes("gap-1"):
            read = ui.button(t("read_aloud"), icon="volume_up").props("flat dense no-caps")
            turn = ui.button(t("translate"), icon="translate").props("flat dense no-caps")
        shown = ui.label("").classes("text-sm italic whitespace-pre-wrap").mark("translation")
        shown.set_visibility(False)
        holder = ui.element("div").classes("w-full")
    read.mark("read-aloud").on_click(lambda: spoken(ports, text, holder, private=private))
    turn.mark("translate").on_click(lambda: translated(ports, text, shown, private=private))


class Microphone:
    """A button that records in the browser (a minute at most; pressed again, it stops) and
    hands the text the mesh heard to `heard`."""

    def __init__(self, ports: NodePorts, heard: Callable[[str], Awaitable[None]]) -> None:
        self.ports, self.heard = ports, heard
        self.button = ui.button(t("speak_question"), icon="mic").props("outline")
        self.button.mark("microphone")
        script = RECORD_JS % {"id": self.button.id, "limit": MAX_RECORDING_S * 1000}
        self.button.on_click(lambda: ui.run_javascript(script))
        ui.on(f"hn_voice_{self.button.id}", self.recorded)

    async def recorded(self, event: GenericEventArguments) -> None:
        """Write down what was recorded, through the mesh."""
        args: dict[str, Any] = event.args if isinstance(event.args, dict) else {}
        if "error" in args:
            ui.notify(t("no_microphone"), caption=str(args["error"])[:200], type="warning")
            return
        audio = base64.b64decode(str(args.get("audio", ""))[: MAX_RECORDING_BYTES * 2])
        if not audio:
            return
        self.button.props("loading")
        try:
            text = await self._transcribed(audio)
        finally:
            self.button.props(remove="loading")
        if text:
            await self.heard(text)
        else:
            ui.notify(t("nothing_heard"), type="warning")

    async def _transcribed(self, audio: bytes) -> str:
        with tempfile.TemporaryDirectory() as work:
            path = Path(work) / "recording.webm"
            path.write_bytes(audio)
            put = await call(
                self.ports, "file.put", {"path": str(path), "pin": False, "thumbnail": False}
            )
        if put is None:
            return ""
        try:
            data = {"audio_cid": put["id"], "language": language()}  # as the page is read
            out = await self.ports.bus.call("stt.transcribe", data)
        except BusError as exc:
            _notify(exc)
            return ""
        finally:
            if put["new_chunks"]:
                await call(self.ports, "file.remove", {"id": put["id"]})
        return str(out["text"]).strip()
