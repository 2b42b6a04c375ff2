"""The managers' report as one self-contained HTML page: the figures are PNGs inside the page
(base64), the text uses the system's fonts, nothing is fetched from any other host. Hangul is drawn
with the Hangul font ui/fonts finds."""

from __future__ import annotations

import base64
import html as htmllib
import io
from typing import TYPE_CHECKING

from trayagent.i18n import _, current_language
from trayagent.team.report import ReportData
from trayagent.ui.fonts import use_hangul_font

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FONTS = "'Malgun Gothic', 'Apple SD Gothic Neo', 'Noto Sans CJK KR', NanumGothic, sans-serif"


_MARKERS = ("o", "s", "^", "D", "v", "P")
_LINES = ("-", "--", "-.", ":")


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _figures(data: ReportData) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    use_hangul_font()
    teams = data.teams
    out = []
    cells = data.alert_by_team_hour()
    hours = sorted({h for _t, h in cells}) or list(range(8, 19))
    grid = np.full((len(teams), len(hours)), np.nan)
    for (t, h), v in cells.items():
        grid[teams.index(t), hours.index(h)] = v * 100
    fig, ax = plt.subplots(figsize=(max(6.0, 0.55 * len(hours) + 2.5), 0.5 * len(teams) + 1.6))
    im_max = max(10.0, float(np.nanmax(grid)) if cells else 10.0)
    im = ax.imshow(grid, aspect="auto", cmap="OrRd", vmin=0, vmax=im_max)
    ax.set_xticks(range(len(hours)), [f"{h:02d}" for h in hours])
    ax.set_yticks(range(len(teams)), teams)
    ax.set_xlabel(_("hour of day"))
    for i in range(len(teams)):
        for j in range(len(hours)):
            if not np.isnan(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.0f}", ha="center", va="center", fontsize=8,
                        color="white" if grid[i, j] > 0.6 * im_max else "black")
    fig.colorbar(im, ax=ax, label=_("% of call time in the alert band"))
    out.append((_("Alert band by team and hour of day"), _png(fig)))
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 3.4))
    weeks = sorted({r["iso_week"] for r in data.weeks})
    for k, t in enumerate(teams):
        rows = [r for r in data.weeks if r["team"] == t]
        if rows:  # teams with equal shares would hide each other: each is shifted a little, with its own marker
            dodge = (k - (len(teams) - 1) / 2) * min(0.08, 0.4 / len(teams))
            ax.plot([weeks.index(r["iso_week"]) + dodge for r in rows], [r["alert_share"] * 100 for r in rows],
                    marker=_MARKERS[k % len(_MARKERS)], linestyle=_LINES[k % len(_LINES)], label=t)
    ax.set_xticks(range(len(weeks)), weeks)
    ax.set_ylabel(_("% of call time in the alert band"))
    ax.set_xlabel(_("ISO week"))
    ax.set_ylim(bottom=0)
    if teams:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    out.append((_("Weekly trend per team"), _png(fig)))
    plt.close(fig)

    per_team = data.by("team")
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(teams) + 1.4))
    calls = [per_team.get(t, {}).get("calls", 0) for t in teams]
    alert_end = [per_team.get(t, {}).get("alert_end", 0) for t in teams]
    ax.barh(teams, calls, color="#9db4d0", label=_("calls"))
    ax.barh(teams, alert_end, color="#d9534f", label=_("ended in the alert band"))
    ax.invert_yaxis()
    ax.set_xlabel(_("calls"))
    ax.legend(fontsize=8, loc="lower right")
    out.append((_("Calls per team"), _png(fig)))
    plt.close(fig)
    return out


def html(data: ReportData) -> str:
    e = htmllib.escape
    first, second = data.sentences()
    page_title, heading, weeks = _("trayagent team report"), _("Team report"), _("Weeks")
    columns = [_("team"), _("ISO week"), _("agents"), _("calls"), _("hours on calls"), _("calm"), _("elevated"),
               _("alert"), _("not measured"), _("ended in the alert band")]
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{current_language()}"><head><meta charset="utf-8">',
        f"<title>{e(page_title)}</title>",
        # No request leaves the page: images are inline, fonts are the system's.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
        "style-src 'unsafe-inline'\">",
        f"<style>body{{font-family:{FONTS};margin:24px;color:#222;max-width:1000px}}"
        "h1{font-size:22px}h2{font-size:17px;margin-top:28px}p.lead{font-size:15px}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}.note{color:#666;font-size:12px}</style></head><body>",
        f"<h1>{e(heading)}: {data.start.isoformat()} – {data.end.isoformat()}</h1>",
        f'<p class="lead">{e(first)}</p>',
        f'<p class="lead">{e(second)}</p>' if second else "",
    ]
    for title, png in _figures(data) if data.hours else []:
        parts.append(f"<h2>{e(title)}</h2><img alt=\"{e(title)}\" src=\"data:image/png;base64,{png}\">")
    parts.append(f"<h2>{e(weeks)}</h2><table><tr>" + "".join(f"<th>{e(c)}</th>" for c in columns) + "</tr>")
    for r in data.weeks:
        parts.append(f"<tr><td>{e(r['team'])}</td><td>{r['iso_week']}</td><td>{r['agents']}</td><td>{r['calls']}</td>"
                     f"<td>{r['call_hours']:.1f}</td><td>{r['calm_share']:.0%}</td><td>{r['elevated_share']:.0%}</td>"
                     f"<td>{r['alert_share']:.0%}</td><td>{r['unmeasured_share']:.0%}</td>"
                     f"<td>{r['alert_end_calls']}</td></tr>")
    parts.append("</table>")
    note = _("Only groups of at least the minimum number of agents are shown; agents who withdrew are left out. "
             "Time the camera could not see the face is not measured, never counted as calm.")
    parts.append(f'<p class="note">{e(note)}</p>')
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)
