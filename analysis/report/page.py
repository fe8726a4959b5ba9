"""The HTML page around the report's sections: inline CSS (screen and print), a small inline script (table
sorting, the all-columns switch), headline cards, sortable tables whose headers explain themselves on hover.

A page fetches nothing: no external stylesheet, script, font or image (tests/analysis/test_report.py checks).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

from analysis.report.svg import esc, si

CSS = """
:root{--ink:#1d1d1f;--muted:#5f6368;--line:#dadce0;--bg:#fff;--band:#f6f8fa;--accent:#0072b2}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,
Helvetica,Arial,sans-serif}
header{padding:22px 32px 14px;border-bottom:1px solid var(--line);background:var(--band)}
header h1{margin:0 0 4px;font-size:22px}
header .sub{color:var(--muted)}
nav{padding:8px 32px;border-bottom:1px solid var(--line);font-size:13px;position:sticky;top:0;background:#fffe;
z-index:2}
nav a{margin-right:14px;color:var(--accent);text-decoration:none}
main{padding:8px 32px 40px;max-width:1500px}
section{margin:22px 0 30px;break-inside:avoid-page}
h2{font-size:18px;margin:0 0 6px;padding-bottom:4px;border-bottom:2px solid var(--accent);display:inline-block}
h3{font-size:15px;margin:16px 0 6px}
p.note,.note{color:var(--muted);font-size:12.5px;margin:4px 0 8px;max-width:1100px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:12px 0}
.grid4{display:flex;flex-wrap:wrap;gap:6px 22px;align-items:flex-start}.grid4 h3{margin:6px 0 4px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:#fff}
.card .v{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums}
.card .u{font-size:12px;color:var(--muted);margin-left:3px;font-weight:400}
.card .k{font-size:12px;color:var(--muted)}
.card .d{font-size:11.5px;color:var(--muted);margin-top:2px}
.card.wide{grid-column:1/-1}.card.wide ul{margin:4px 0 0;padding-left:18px;font-size:13px}
.card.wide code{font-size:12px;background:#f3f3f3;padding:0 3px;border-radius:3px}
.facts{display:flex;flex-wrap:wrap;gap:8px 36px;margin-bottom:8px}.fact{min-width:120px;max-width:420px}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:18px}
@media (max-width:1100px){.grid2{grid-template-columns:1fr}}
table{border-collapse:collapse;font-size:12.5px;font-variant-numeric:tabular-nums}
th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th{background:var(--band);cursor:pointer;border-bottom:1px solid var(--line)}
th[title]{text-decoration:underline dotted #999}
th.asc::after{content:" \\25B2";font-size:9px}th.desc::after{content:" \\25BC";font-size:9px}
td.l,th.l{text-align:left}
td.l:last-child{white-space:normal;min-width:280px}
tr:hover td{background:#fff8e1}
.wrap{display:inline-block;max-width:100%;overflow-x:auto;border:1px solid var(--line);border-radius:6px;
vertical-align:top}
.wrap.tall{max-height:85vh;overflow:auto}.wrap.tall th{position:sticky;top:0;z-index:1}
table.all .x{display:none}table.all.show .x{display:table-cell}
.tag{display:inline-block;padding:0 6px;border-radius:9px;font-size:11px;background:#eef3f8;color:#234}
.tag.warn{background:#fff1d6;color:#7a4a00}
.chart{margin:6px 0 2px}
button{font:inherit;font-size:12.5px;padding:3px 10px;border:1px solid var(--line);border-radius:5px;
background:#fff;cursor:pointer;margin:4px 0 8px}
footer{color:var(--muted);font-size:12px;padding:14px 32px;border-top:1px solid var(--line)}
@media print{nav,button{display:none}body{font-size:11px}main,header{padding-left:0;padding-right:0}
th{position:static!important}.wrap,.wrap.tall{overflow:visible;max-height:none;border:none}table.all .x{display:none}
section{break-inside:auto}svg{break-inside:avoid}a{color:inherit}}
"""

# sortable tables (click a header; numbers compare as numbers, data-v holds the raw value) and the column switch
JS = """
document.querySelectorAll('table.sortable').forEach(function(t){
  t.querySelectorAll('thead th').forEach(function(th,i){
    th.addEventListener('click',function(){
      var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows),asc=!th.classList.contains('asc');
      t.querySelectorAll('thead th').forEach(function(h){h.classList.remove('asc','desc')});
      th.classList.add(asc?'asc':'desc');
      var key=function(r){var c=r.cells[i],v=c.getAttribute('data-v');if(v===null)v=c.textContent;
        var n=parseFloat(v);return isNaN(n)||!/^[-+0-9.eE]+$/.test(v.trim())?v.toLowerCase():n};
      rows.sort(function(a,b){var x=key(a),y=key(b);if(x===y)return 0;
        if(typeof x!==typeof y)return (typeof x==='number'?-1:1)*(asc?1:-1);return (x<y?-1:1)*(asc?1:-1)});
      rows.forEach(function(r){b.appendChild(r)});
    });
  });
});
document.querySelectorAll('button[data-toggle]').forEach(function(bt){
  bt.addEventListener('click',function(){var t=document.getElementById(bt.getAttribute('data-toggle'));
    t.classList.toggle('show');bt.textContent=t.classList.contains('show')?bt.getAttribute('data-less'):
    bt.getAttribute('data-more');});
});
"""


def fmt(v, unit: str = "") -> str:
    """A value as shown in a table cell: whole numbers with separators, others with 4 significant digits."""
    if isinstance(v, bool) or v is None:
        return "" if v is None else ("yes" if v else "")
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if math.isnan(v):
            return "-"
        if math.isinf(v):     # e.g. the intensity of a layer whose operands all stay on chip
            return "∞" if v > 0 else "-∞"
        if v == int(v) and abs(v) < 1e15:
            return f"{int(v):,}"
        if abs(v) >= 1e15:
            return f"{v:.4g}"
        if abs(v) >= 1e5:
            return f"{v:,.1f}" if unit == "cycles" else f"{v:,.0f}"
        if abs(v) >= 100:
            return f"{v:,.1f}"
        return f"{v:.4g}"
    return str(v)


def card(label: str, value, unit: str = "", detail: str = "", tip: str = "") -> str:
    shown = value if isinstance(value, str) else fmt(value) if not isinstance(value, float) or abs(value) >= 1e5 \
        else f"{value:.4g}"
    t = f' title="{esc(tip)}"' if tip else ""
    return (f'<div class="card"{t}><div class="k">{esc(label)}</div><div class="v">{esc(shown)}'
            f'<span class="u">{esc(unit)}</span></div>' + (f'<div class="d">{esc(detail)}</div>' if detail else "")
            + "</div>")


def table(columns: list[tuple[str, str]], rows: list[list], table_id: str = "", classes: str = "sortable",
          left: tuple[str, ...] = (), hidden: tuple[int, ...] = (), units: dict | None = None,
          tall: bool = False) -> str:
    """A table: ``columns`` (name, hover text), rows of values (numbers keep their raw value in ``data-v``
    so that sorting is numeric); column indexes in ``hidden`` get class ``x`` (shown by the switch)."""
    units = units or {}
    ident = f' id="{esc(table_id)}"' if table_id else ""
    head = []
    for i, (name, tip) in enumerate(columns):
        cls = " ".join(c for c in ("l" if name in left else "", "x" if i in hidden else "") if c)
        head.append(f'<th{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}'
                    f'{f" title={chr(34)}{esc(tip)}{chr(34)}" if tip else ""}>{esc(name)}</th>')
    body = []
    for r in rows:
        cells = []
        for i, v in enumerate(r):
            name = columns[i][0]
            cls = " ".join(c for c in ("l" if name in left else "", "x" if i in hidden else "") if c)
            c = f' class="{cls}"' if cls else ""
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                cells.append(f'<td{c} data-v="{v!r}">{esc(fmt(v, units.get(name, "")))}</td>')
            elif isinstance(v, tuple):      # (html, sort key): pre-rendered cell
                cells.append(f'<td{c} data-v="{esc(v[1])}">{v[0]}</td>')
            else:
                cells.append(f"<td{c}>{esc(fmt(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="wrap{" tall" if tall else ""}"><table{ident} class="{classes}"><thead><tr>{"".join(head)}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def section(anchor: str, title: str, body: str, intro: str = "") -> str:
    return (f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>'
            + (f'<p class="note">{intro}</p>' if intro else "") + body + "</section>")


def page(title: str, subtitle: str, sections: list[tuple[str, str, str]], footer: str = "") -> str:
    """The whole document: ``sections`` are (anchor, nav label, html)."""
    from workloads.version import package_version

    nav = "".join(f'<a href="#{esc(a)}">{esc(label)}</a>' for a, label, _ in sections)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>{esc(title)}</h1><div class=\"sub\">{subtitle}</div></header>"
            f"<nav>{nav}</nav><main>{''.join(html for _, _, html in sections)}</main>"
            f"<footer>{footer}Made by vitsim {esc(package_version())} on {when}. One self-contained file: it "
            f"fetches nothing. Hover a column header or a chart mark for its meaning and value; click a header to "
            f"sort.</footer><script>{JS}</script></body></html>\n")


def pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


__all__ = ["card", "esc", "fmt", "page", "pct", "section", "si", "table"]
