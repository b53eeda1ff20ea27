"""A session's views in words: the status line, the summary API clients read, the batch
table, the metrics tab, the G-step note and the A/B comparison's lines. No Gradio here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from markdown_it import MarkdownIt

from playground.teaching.claims import RECENT, recent_mean
from playground.text import text

if TYPE_CHECKING:
    from playground.ui.session import Session

# Markdown for the status line: bold, italics, code; raw HTML escaped, no links or images
_STATUS_MARKDOWN = MarkdownIt("commonmark", {"html": False}).disable(
    ["link", "image", "autolink", "html_inline", "html_block"]
)


class SessionWords:
    """Mixed into Session: what the page and API clients read as text."""

    def summary(self) -> dict[str, Any]:
        """Numbers for the status line and for API clients."""
        t = self.trainer
        d, g = t.last_d, t.last_g
        return {
            "iteration": t.iteration,
            "d_steps": t.d_step_count,
            "g_steps": t.g_step_count,
            "device": t.device_label,
            "preset": self.preset,
            "dataset": t.config.dataset,
            "loss": t.config.loss,
            "loss_d": d.loss_d if d else None,
            "loss_g": g.loss_g if g else None,
            "d_real_mean": d.d_real_mean if d else None,
            "d_fake_mean": d.d_fake_mean if d else None,
            "d_step_delta_d": d.delta_d if d else None,
            "d_step_delta_g": d.delta_g if d else None,
            "g_step_delta_g": g.delta_g if g else None,
            "g_step_delta_d": g.delta_d if g else None,
            "snapshots": t.snapshots,
            "diverged": self.diverged,
            "message": self.message,
            "metrics": self.metrics,
            "comparison": self.comparison_summary(),
        }

    def comparison_summary(self) -> dict[str, Any] | None:
        """Both runs of a comparison, for API clients (None when not comparing)."""
        if self.partner is None or self.comparison is None:
            return None
        runs = {"A": self, "B": self.partner}
        return {
            "name": self.comparison.name,
            "differences": [list(row) for row in self.pair.differences()],
            **{
                name: {
                    "iteration": run.trainer.iteration,
                    "loss_d": _last(run.trainer.history["loss_d"]),
                    "loss_g": _last(run.trainer.history["loss_g"]),
                    "d_real_mean": _last(run.trainer.history["d_real"]),
                    "d_fake_mean": _last(run.trainer.history["d_fake"]),
                    "grad_g": _last(run.trainer.history["grad_g"]),
                    "diverged": run.diverged,
                    "config": run.trainer.config.to_dict(),
                }
                for name, run in runs.items()
            },
        }

    def status_markdown(self) -> str:
        s = self.summary()
        line = text(
            "status",
            self.language,
            iteration=s["iteration"],
            d=s["d_steps"],
            g=s["g_steps"],
            device=self.device_words(),
        )
        # a no-break space keeps each loss with its value when the line wraps
        if s["loss_d"] is not None:
            line += f" · loss_D\u00a0{s['loss_d']:.4f}"
        if s["loss_g"] is not None:
            line += f" · loss_G\u00a0{s['loss_g']:.4f}"
        return f"{line}\n\n{self.message}" if self.message else line

    def status_html(self) -> str:
        """The status line as the page shows it. It is HTML made here, not Markdown rendered by
        Gradio, so that a step drawn outside Gradio's events (live_feed.FastSteps) can write
        it in place: the same markup either way."""
        return f'<div class="status-line">{_STATUS_MARKDOWN.render(self.status_markdown())}</div>'

    def device_words(self) -> str:
        """Where the run trains, in the tab's language ('CPU (1 thread)', 'CPU（1 个线程）')."""
        device = self.trainer.device
        if device.type == "cpu":
            n = torch.get_num_threads()
            words = text("device.cpu", self.language, n=n)
            return words.replace("thread)", "threads)") if n > 1 else words
        return self.trainer.device_label

    def g_step_markdown(self) -> str:
        g = self.trainer.last_g
        if g is None:
            return text("g_md.none", self.language)
        return text(
            "g_md",
            self.language,
            mean=g.d_on_g_mean,
            loss_g=g.loss_g,
            grad=g.grad_norm_g,
            dd=f"{g.delta_d:g}",
            dg=g.delta_g,
        )

    def table_headers(self) -> list[str]:
        return text("table.headers", self.language).split("|")

    def batch_table(self, per_half: int = 8) -> list[list[Any]]:
        d = self.trainer.last_d
        if d is None:
            return []
        b = d.batch_size
        rows = list(range(min(per_half, b))) + list(range(b, b + min(per_half, b)))
        table = []
        for i in rows:
            value = d.x[i]
            shown = (
                f"({value[0]:.3f}, {value[1]:.3f})"
                if value.numel() == 2
                else text("table.image", self.language, shape=tuple(value.shape))
            )
            part = text("table.fake" if i < b else "table.real", self.language)
            table.append(
                [
                    i,
                    part,
                    shown,
                    int(d.y[i]),
                    round(float(d.scores[i]), 4),
                    round(float(d.loss_terms[i]), 4),
                ]
            )
        return table

    def metrics_markdown(self) -> str:
        m, lang = self.metrics, self.language
        if not m:
            return text("metrics.none", lang)
        keys = (
            "modes_covered",
            "hq_percent",
            "reverse_kl",
            "spread",
            "kl",
            "js",
            "energy_distance",
            "energy_floor",
            "drs_kept_percent",
            "drs_modes_covered",
            "drs_hq_percent",
            "drs_spread",
            "fd",
            "diversity",
            "classes_covered",
            "smallest_class_share",
            "label_agreement",
            "near_copies",
        )
        rows = [
            f"| {text(f'metrics.{key}', lang)} | {_metric(key, m[key], m.get(key + '_floor'))} |"
            for key in keys
            if key in m
        ]
        head = text("metrics.head", lang, iteration=m.get("iteration"), n=m.get("n"))
        if m.get("modes_fitted"):
            head += "\n\n" + text("metrics.fitted", lang, k=m["modes_fitted"])
        if "fd_floor" in m:
            head += "\n\n" + text("metrics.real_beside", lang)
        return f"{head}\n\n{text('metrics.columns', lang)}\n|---|---|\n" + "\n".join(rows)

    def compare_markdown(self) -> str:
        """The comparison's title, the settings the runs do not share, one line per run."""
        lang = self.language
        if self.partner is None or self.comparison is None:
            return text("compare.none", lang)
        rows = [f"**{self.comparison.title_in(lang)}**", "", text("compare.differs", lang)]
        for name, a, b in self.pair.differences():
            rows.append(f"- `{name}`: A = {a} · B = {b}")
        rows += ["", self._run_line("A", self), "", self._run_line("B", self.partner)]
        rows += ["", text("compare.recent", lang, n=RECENT)]
        return "\n".join(rows)

    def _run_line(self, name: str, run: Session) -> str:
        h, lang = run.trainer.history, self.language
        if not h["iteration"]:
            return text("compare.line_none", lang, run=name)
        line = text(
            "compare.line",
            lang,
            run=name,
            iteration=run.trainer.iteration,
            **{k: recent_mean(h[k]) for k in ("loss_d", "loss_g", "d_real", "d_fake", "grad_g")},
        )
        return line + (" · ⚠️ " + text("compare.diverged", lang) if run.diverged else "")


def _metric(key: str, value: Any, floor: float | None = None) -> str:
    """A metric as the metrics tab prints it: shares in % to one decimal, counts whole, and
    beside it what real images score (the real-vs-real floor), where there is one."""
    if not isinstance(value, float):
        return f"{value}"
    if key in PERCENT_METRICS:
        shown = f"{100 * value:.1f} %"
        return shown if floor is None else f"{shown} ({100 * floor:.1f} %)"
    shown = f"{value:.1f}" if "percent" in key else f"{value:.3f}"
    return shown if floor is None else f"{shown} ({floor:.3f})"


# image metrics that are shares in [0, 1], printed as percentages
PERCENT_METRICS = ("smallest_class_share", "label_agreement", "near_copies")


def _last(series: list[float]) -> float | None:
    return series[-1] if series and series[-1] == series[-1] else None
