"""The sections of a report as one self-contained HTML file (inline CSS and SVG, no network,
printable) and as Markdown with the same figures."""

from __future__ import annotations

import html
import os
from pathlib import Path

from runner.report.rehearsal import Bar, Rehearsal
from runner.report.sections import Table, sections

COLOURS = {"migrated": "#2e7d32", "merged": "#1565c0", "quarantined": "#c62828"}
TIMELINE_COLOURS = {"step": "#8d6e63", "phase": "#455a64", "node": "#ef6c00"}


def markdown(r: Rehearsal, directory: Path) -> str:
    e = r.execution
    lines = [f"# Rehearsal report: execution {e['id']}", ""]
    for section in sections(r):
        lines += [f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            lines += [_md_text(paragraph), ""]
        for table in section.tables:
            lines += _md_table(table) + [""]
        if section.links:
            lines += ["Quarantine export (personal data):", ""]
            lines += [f"- [{label}]({_relative(path, directory)})" for label, path in section.links]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _md_text(text: str) -> str:
    return text.replace("|", "\\|")


def _md_table(table: Table) -> list[str]:
    lines = [f"**{table.caption}**", ""] if table.caption else []
    if not table.rows:
        return [*lines, "(none)"]
    lines.append("| " + " | ".join(table.headers) + " |")
    lines.append("|" + "|".join("---" for _ in table.headers) + "|")
    lines += ["| " + " | ".join(_md_text(str(c)) for c in row) + " |" for row in table.rows]
    return lines


def _relative(path: Path, directory: Path) -> str:
    return Path(os.path.relpath(path, directory)).as_posix()


# --- HTML ------------------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem auto;
       max-width: 1200px; padding: 0 1rem; color: #222; line-height: 1.4; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem;
     border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: 12.5px; }
table.wide { width: 100%; }
details { margin: .4rem 0; } summary { cursor: pointer; color: #555; }
caption { text-align: left; font-weight: 600; padding: .2rem 0; }
th, td { border: 1px solid #d0d0d0; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; white-space: nowrap; }
.verdict { padding: .8rem 1rem; border-radius: 6px; font-size: 1.05rem; font-weight: 600; }
.go { background: #e8f5e9; border: 2px solid #2e7d32; color: #1b5e20; }
.no-go { background: #ffebee; border: 2px solid #c62828; color: #b71c1c; }
.passed { color: #2e7d32; font-weight: 600; } .failed, .NO { color: #c62828; font-weight: 600; }
nav a { margin-right: 1rem; } svg { max-width: 100%; height: auto; }
@media print { body { margin: 0; max-width: none; } nav { display: none; }
  section { break-inside: avoid-page; } h2 { break-after: avoid; } }
"""


def to_html(r: Rehearsal, directory: Path) -> str:
    e = r.execution
    esc = html.escape
    parts = []
    for section in sections(r):
        body = [f'<section id="{section.key}"><h2>{esc(section.title)}</h2>']
        for i, paragraph in enumerate(section.paragraphs):
            if section.key == "summary" and i == 0:
                verdict = "go" if r.verdict.go else "no-go"
                body.append(f'<p class="verdict {verdict}">{esc(paragraph)}</p>')
            else:
                body.append(f"<p>{esc(paragraph)}</p>")
        if section.chart == "timeline":
            body.append(timeline_svg(r.timeline))
        if section.links:
            links = ", ".join(
                f'<a href="{esc(_relative(path, directory))}">{esc(label)}</a>'
                for label, path in section.links
            )
            body.append(f"<p>Quarantine export (personal data): {links}</p>")
        if section.chart == "rows":
            body.append(rows_svg(r.data["entities"]))
        tables = [_html_table(t) for t in section.tables]
        if section.chart == "timeline":
            # the chart shows them; the figures stay at hand (and in the Markdown)
            tables = [f"<details><summary>The figures</summary>{t}</details>" for t in tables]
        body += tables
        body.append("</section>")
        parts.append("\n".join(body))
    nav = " ".join(f'<a href="#{s.key}">{esc(s.title)}</a>' for s in sections(r))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rehearsal report {esc(str(e["id"]))}</title>
<style>{STYLE}</style></head><body>
<h1>Rehearsal report</h1>
<p>Execution <code>{esc(str(e["id"]))}</code> &middot; profile {esc(e["profile"])}
&middot; {esc(r.status)}</p>
<nav>{nav}</nav>
{chr(10).join(parts)}
</body></html>
"""


def _html_table(table: Table) -> str:
    esc = html.escape
    caption = f"<caption>{esc(table.caption)}</caption>" if table.caption else ""
    wide = ' class="wide"' if len(table.headers) > 5 else ""
    head = "".join(f"<th>{esc(h)}</th>" for h in table.headers)
    if not table.rows:
        empty = f'<tr><td colspan="{len(table.headers)}">(none)</td></tr>'
        return f"<table{wide}>{caption}<tbody>{empty}</tbody></table>"
    body = "".join("<tr>" + "".join(_cell(str(c)) for c in row) + "</tr>" for row in table.rows)
    return f"<table{wide}>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(text: str) -> str:
    esc = html.escape
    stripped = text.replace(",", "").replace("+", "").replace("-", "").replace(".", "").replace(" s", "")
    classes = []
    if stripped.isdigit() or text == "-":
        classes.append("num")
    if text in ("passed", "failed", "NO"):
        classes.append(text)
    cls = f' class="{" ".join(classes)}"' if classes else ""
    return f"<td{cls}>{esc(text)}</td>"


def timeline_svg(bars: list[Bar]) -> str:
    """Bars on the execution's time axis: the phases, then the slowest models."""
    if not bars:
        return "<p>(no timing recorded)</p>"
    width, label, row, top = 1000, 260, 18, 24
    right = 60  # room for the last bar's seconds
    end = max(b.start + b.seconds for b in bars) or 1.0
    scale = (width - label - right) / end
    height = top + len(bars) * row + 10
    esc = html.escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="Timeline of the execution">'
    ]
    for tick in _ticks(end):
        x = label + tick * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 6}" stroke="#e0e0e0"/>'
            f'<text x="{x:.1f}" y="{top - 10}" font-size="10" text-anchor="middle">{tick:g} s</text>'
        )
    for i, b in enumerate(bars):
        y = top + i * row
        x, w = label + b.start * scale, max(b.seconds * scale, 1.5)
        parts.append(
            f'<text x="{label - 6}" y="{y + 12}" font-size="11" text-anchor="end">{esc(b.label[:40])}</text>'
            f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{row - 5}" '
            f'fill="{TIMELINE_COLOURS.get(b.kind, "#888")}"><title>{esc(b.label)}: {b.seconds:.1f} s '
            f"from {b.start:.1f} s</title></rect>"
            f'<text x="{x + w + 4:.1f}" y="{y + 12}" font-size="10">{b.seconds:.1f} s</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _ticks(end: float) -> list[float]:
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200):
        if end / step <= 10:
            break
    return [step * i for i in range(int(end // step) + 1)]


def rows_svg(entities: list[dict]) -> str:
    """A horizontal stacked bar per entity: migrated, merged and quarantined rows."""
    width, bar, gap, label = 900, 14, 5, 190
    peak = max((r["expected_records"] for r in entities), default=1) or 1
    height = len(entities) * (bar + gap) + 30
    esc = html.escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="Rows per entity: migrated, merged, quarantined">'
    ]
    for i, r in enumerate(entities):
        y = i * (bar + gap) + 4
        x = label
        parts.append(
            f'<text x="{label - 6}" y="{y + 11}" text-anchor="end" font-size="11">{esc(r["entity"])}</text>'
        )
        for key, colour in COLOURS.items():
            value = r[f"{key}_records"]
            w = (width - label - 90) * value / peak
            if w > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" fill="{colour}">'
                    f"<title>{key}: {value:,}</title></rect>"
                )
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 11}" font-size="10">{r["expected_records"]:,}</text>')
    legend_y = height - 8
    for j, (key, colour) in enumerate(COLOURS.items()):
        parts.append(
            f'<rect x="{label + j * 110}" y="{legend_y - 10}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{label + j * 110 + 14}" y="{legend_y}" font-size="11">{key}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
