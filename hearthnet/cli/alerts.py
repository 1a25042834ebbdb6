"""`hearthnet alert`, `hearthnet role` and `hearthnet audit`: civil-defence alerts in CAP 1.2,
the role certificates that authorise them, and the auditor's replay of the log."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import msgspec

from hearthnet.adapters import alert_audit
from hearthnet.adapters.crypto import NaclSigner
from hearthnet.cli.output import (
    EXIT_INTEGRITY,
    Failure,
    emit_fields,
    emit_json,
    emit_table,
    json_option,
    stdout,
)
from hearthnet.cli.session import act, node_session
from hearthnet.domain import alerts as a
from hearthnet.domain import cap
from hearthnet.domain.types import parse_node_id

SEVERITIES = click.Choice(list(cap.SEVERITY_ORDER))
STATUSES = click.Choice(["Actual", "Exercise", "System", "Test", "Draft"])
ACKS = click.Choice(["received", "acting", "need_help", "standing_down", "mistaken"])


def _alert_id(prefix: str) -> str:
    """A full alert event id from a prefix of at least 8 hex digits."""
    text = prefix.lower()
    if len(text) < 8 or any(c not in "0123456789abcdef" for c in text):
        raise click.BadParameter("an alert id is at least 8 hex digits", param_hint="ALERT_ID")
    if len(text) == 64:
        return text
    found = [
        x["event_id"]
        for x in act("alert.list", {"limit": 500})["alerts"]
        if x["event_id"].startswith(text)
    ]
    if len(found) != 1:
        raise Failure(f"{len(found)} alerts start with {prefix}")
    return str(found[0])


@click.group()
def alert() -> None:
    """Civil-defence alerts (CAP 1.2)."""


@alert.command("publish")
@click.option("--event", required=True, help="What happens (CAP event).")
@click.option("--severity", type=SEVERITIES, required=True)
@click.option("--area", "area_desc", required=True, help="The area in words.")
@click.option("--region", required=True, help="The region code, e.g. DE.NRW.Kleve.Issum.")
@click.option("--status", type=STATUSES, default="Actual")
@click.option("--category", type=click.Choice(list(cap.Category.__args__)), default="Other")  # type: ignore[attr-defined]
@click.option("--urgency", type=click.Choice(list(cap.Urgency.__args__)), default="Immediate")  # type: ignore[attr-defined]
@click.option("--certainty", type=click.Choice(list(cap.Certainty.__args__)), default="Observed")  # type: ignore[attr-defined]
@click.option("--headline", default="")
@click.option("--description", default="")
@click.option("--instruction", default="")
@click.option("--expires-minutes", type=click.IntRange(1, 7 * 24 * 60), default=240)
@click.option("--polygon", help="lat,lon pairs separated by spaces, first = last.")
@click.option("--circle", help="lat,lon radius-km")
@click.option("--updates", help="The alert this one updates (its id).")
@click.option("--cert", "cert_id", default="", help="The certificate to publish under.")
@json_option
def alert_publish(as_json: bool, updates: str | None, **fields: Any) -> None:
    """Publish an alert (Actual Severe and Extreme ones wait for a second role holder)."""
    data = {k: v for k, v in fields.items() if v is not None}
    if updates:
        data["updates"] = _alert_id(updates)
    out = act("alert.publish", data)
    emit_json(out) if as_json else emit_fields(out)


@alert.command("list")
@click.option("--live", is_flag=True, help="Only alerts in force now.")
@json_option
def alert_list(live: bool, as_json: bool) -> None:
    """List the alerts on the log."""
    alerts = act("alert.list", {"live_only": live})["alerts"]
    if as_json:
        emit_json(alerts)
        return
    emit_table(
        "alerts",
        ["id", "status", "type", "severity", "state", "headline", "areas"],
        [
            (
                x["event_id"][:12],
                x["status"].upper(),
                x["msg_type"],
                x["severity"],
                x["state"],
                x["headline"],
                "; ".join(ar["area_desc"] for ar in x["areas"]),
            )
            for x in alerts
        ],
    )


@alert.command("show")
@click.argument("alert_id")
@json_option
def alert_show(alert_id: str, as_json: bool) -> None:
    """Show one alert with its co-signatures and answers."""
    out = act("alert.show", {"alert_event_id": _alert_id(alert_id)})
    emit_json(out) if as_json else emit_fields(out)


@alert.command("cosign")
@click.argument("alert_id")
@json_option
def alert_cosign(alert_id: str, as_json: bool) -> None:
    """Co-sign another role holder's alert (the two-person rule)."""
    out = act("alert.cosign", {"alert_event_id": _alert_id(alert_id)})
    emit_json(out) if as_json else emit_fields(out)


@alert.command("ack")
@click.argument("alert_id")
@click.option("--status", type=ACKS, required=True)
@click.option("--note", default="")
@json_option
def alert_ack(alert_id: str, status: str, note: str, as_json: bool) -> None:
    """Answer an alert."""
    out = act("alert.ack", {"alert_event_id": _alert_id(alert_id), "status": status, "note": note})
    emit_json(out) if as_json else emit_fields(out)


@alert.command("cancel")
@click.argument("alert_id")
@click.option("--note", default="")
@json_option
def alert_cancel(alert_id: str, note: str, as_json: bool) -> None:
    """Cancel an alert (its publisher, or a role over a wider region)."""
    out = act("alert.cancel", {"alert_event_id": _alert_id(alert_id), "note": note})
    emit_json(out) if as_json else emit_fields(out)


@alert.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
def alert_import(file: Path, as_json: bool) -> None:
    """Mirror an official CAP 1.2 (or 1.1) message, keeping its original bytes' hash."""
    if file.stat().st_size > a.MAX_CAP_BYTES:
        raise Failure(f"{file} is over {a.MAX_CAP_BYTES} bytes: not a CAP message")
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise Failure(f"{file} is not UTF-8 text") from None
    out = act("alert.import", {"xml": text, "source": file.name, "via": "file"})
    emit_json(out) if as_json else emit_fields(out)


@alert.command("export")
@click.argument("alert_id")
@click.option("-o", "out", type=click.Path(dir_okay=False, path_type=Path))
def alert_export(alert_id: str, out: Path | None) -> None:
    """Write an alert (or an answer, as a CAP Ack) as CAP 1.2 XML."""
    xml = act("alert.export", {"alert_event_id": _alert_id(alert_id)})["xml"]
    if out is None:
        click.echo(xml)
    else:
        out.write_text(xml, encoding="utf-8")


@click.group()
def role() -> None:
    """Role certificates for civil-defence alerts."""


@role.group("root")
def root() -> None:
    """The regional trust root: a key kept offline."""


def _load_key(path: Path) -> NaclSigner:
    try:
        return NaclSigner(bytes.fromhex(path.read_text().strip()))
    except (OSError, ValueError) as exc:
        raise Failure(f"{path} is not a key file: {exc}") from None


@root.command("init")
@click.option(
    "--key",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("trust-root.key"),
    show_default=True,
)
def root_init(path: Path) -> None:
    """Create a trust root key (on a machine kept offline); print its public key."""
    if path.exists():
        raise Failure(f"{path} exists: a trust root is never overwritten")
    signer = NaclSigner.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(signer.seed.hex() + "\n")
    click.echo(signer.public_key.hex())


@root.command("trust")
@click.argument("public_key")
@click.option("--name", default="")
def root_trust(public_key: str, name: str) -> None:
    """Declare a trust root for this community (its founder only)."""
    emit_fields(act("role.declare_root", {"root_key": public_key.lower(), "name": name}))


@role.command("issue")
@click.option(
    "--key",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The issuer's key file (a trust root, or a delegate's).",
)
@click.option("--holder", required=True, help="The holder's node id.")
@click.option("--role", "role_name", required=True)
@click.option("--region", required=True)
@click.option("--severity", "severities", type=SEVERITIES, multiple=True, required=True)
@click.option(
    "--status", "statuses", type=STATUSES, multiple=True, default=["Actual", "Exercise", "Test"]
)
@click.option("--days", type=click.IntRange(1, 3650), default=365)
@click.option("--may-issue", is_flag=True, help="May issue certificates within its region.")
@click.option("--no-cosign", is_flag=True, help="May not co-sign others' alerts.")
@click.option("-o", "out", type=click.Path(dir_okay=False, path_type=Path))
def role_issue(
    path: Path,
    holder: str,
    role_name: str,
    region: str,
    severities: tuple[str, ...],
    statuses: tuple[str, ...],
    days: int,
    may_issue: bool,
    no_cosign: bool,
    out: Path | None,
) -> None:
    """Sign a role certificate (offline, with the issuer's key)."""
    try:
        parse_node_id(holder)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--holder") from None
    signer, now = _load_key(path), int(time.time() * 1000)
    try:
        cert = msgspec.convert(
            {
                "holder": holder,
                "role": role_name,
                "region": region,
                "severities": severities,
                "statuses": statuses,
                "may_cosign": not no_cosign,
                "may_issue": may_issue,
                "issuer": signer.public_key.hex(),
                "issued_at": now,
                "not_before": now - 60_000,
                "not_after": now + days * 86_400_000,
            },
            a.RoleCertificate,
        )
    except msgspec.ValidationError as exc:
        raise Failure(f"not a certificate: {exc}") from None
    cert = msgspec.structs.replace(cert, signature=signer.sign(a.certificate_bytes(cert)))
    text = msgspec.json.encode(cert).decode()
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        click.echo(a.cert_id(cert))


@role.command("register")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
def role_register(file: Path, as_json: bool) -> None:
    """Put a signed role certificate on the log (a renewal is a new certificate)."""
    try:
        cert = msgspec.json.decode(file.read_bytes(), type=a.RoleCertificate)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise Failure(f"{file} is not a role certificate: {exc}") from None
    out = act("role.register", {"certificate": msgspec.to_builtins(cert)})
    emit_json(out) if as_json else emit_fields(out)


@role.command("revoke")
@click.argument("cert_id")
@click.option(
    "--key",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The issuer's or a trust root's key file.",
)
@click.option("--reason", default="")
def role_revoke(cert_id: str, path: Path, reason: str) -> None:
    """Revoke a certificate (signed with its issuer's or a root's key)."""
    signer, now = _load_key(path), int(time.time() * 1000)
    signature = signer.sign(a.revocation_bytes(cert_id, reason, now))
    body = {
        "cert_id": cert_id,
        "reason": reason,
        "revoked_at": now,
        "signer": signer.public_key.hex(),
        "signature": signature,
    }
    emit_fields(act("role.revoke", msgspec.to_builtins(body)))


@role.command("list")
@json_option
def role_list(as_json: bool) -> None:
    """List the trust roots and role certificates."""
    out = act("role.list", {})
    if as_json:
        emit_json(out)
        return
    emit_table(
        "roles",
        ["cert", "holder", "role", "region", "severities", "state"],
        [
            (
                r["cert_id"][:12],
                r["holder"][8:20],
                r["role"],
                r["region"],
                ",".join(r["severities"]),
                r["state"],
            )
            for r in out["roles"]
        ],
    )


@click.group()
def audit() -> None:
    """Audits an auditor runs on this node's data directory alone."""


def _as_of(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO 8601 time", param_hint="--as-of"
        ) from None
    if when.tzinfo is None:
        when = when.astimezone()
    return int(when.timestamp() * 1000)


@audit.command("alerts")
@click.option("--as-of", "as_of", help="Rebuild as of this time (ISO 8601).")
@click.option("--alert", "alert_id", default="", help="Only this alert (an id prefix).")
@click.option("--pdf", type=click.Path(dir_okay=False, path_type=Path), help="Also write a PDF.")
@json_option
def audit_alerts(as_of: str | None, alert_id: str, pdf: Path | None, as_json: bool) -> None:
    """Rebuild who alerted whom, when, under which role, and who answered, from the log."""
    moment = _as_of(as_of)
    with node_session(need_community=True) as node:
        founder = parse_node_id(node.config.community)
        report, canonical = alert_audit.audit_alerts(
            node.log, founder, as_of_ms=moment, alert=alert_id.lower()
        )
    digest = alert_audit.digest(canonical)
    text = alert_audit.as_text(report)
    if as_json:
        click.echo(canonical.decode())
    else:
        stdout.print(text, markup=False, end="")
    click.echo(f"digest {digest}", err=as_json)
    if pdf is not None:
        from hearthnet.adapters.audit_pdf import write_pdf  # fpdf2 takes 0.4 s to import

        write_pdf(report, text, digest, pdf)
    if report["problems"]:
        raise click.exceptions.Exit(EXIT_INTEGRITY)


COMMANDS = (alert, role, audit)
