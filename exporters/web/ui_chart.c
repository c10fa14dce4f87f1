/*
 * ui_chart.c - the detail page's history chart: active recipients as a step line over
 * time, and the host status as a coloured band under it (with the status word in each
 * band's tooltip, so the colours are not the only cue), from dest_view.history (one sample
 * per change, at most STORE_HISTORY_MAX, so the SVG stays a few kilobytes; a value holds
 * until the next change, the last one until now). Server-rendered inline
 * SVG: no script, no style attribute (the CSP forbids both), classes styled by style.css.
 * Pure; any thread.
 */
#include "fmt.h"
#include "ui_page.h"

#include <math.h>

/* The drawing's coordinate system. The SVG is stretched to the page's width and a fixed
 * height (preserveAspectRatio="none", strokes that do not scale), so it reads the same on
 * a phone and a wide screen; the labels are HTML around it, so they never shrink. */
#define CH_W      1000.0
#define CH_PLOT_H 100.0
#define CH_BAND_Y 106.0
#define CH_BAND_H 14.0
#define CH_H      120.0

struct frame {
    double t0, t1; /* time span */
    double ymax;   /* top of the value axis */
};

static double xpos(const struct frame *f, double t)
{
    if (f->t1 <= f->t0)
        return CH_W;
    return (t - f->t0) / (f->t1 - f->t0) * CH_W;
}

static double ypos(const struct frame *f, double v)
{
    return CH_PLOT_H - v / f->ymax * (CH_PLOT_H - 2);
}

/* The smallest 1, 2 or 5 times a power of ten at or above v (at least 1). */
static double nice_ceiling(double v)
{
    if (v <= 1)
        return 1;
    double p = pow(10, floor(log10(v)));
    for (int i = 0; i < 3; i++) {
        double step = p * (i == 0 ? 1 : i == 1 ? 2 : 5);
        if (step >= v)
            return step;
    }
    return p * 10;
}

static void grid(struct buf *b)
{
    buf_printf(b,
               "<line class=\"c-grid\" x1=\"0\" y1=\"2\" x2=\"%.0f\" y2=\"2\" "
               "vector-effect=\"non-scaling-stroke\"/>"
               "<line class=\"c-axis\" x1=\"0\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
               "vector-effect=\"non-scaling-stroke\"/>",
               CH_W, CH_PLOT_H, CH_W, CH_PLOT_H);
}

/* The status band: one rectangle per run of equal status. */
static void band(struct buf *b, const struct frame *f, const struct history_sample *h, size_t n)
{
    size_t start = 0;
    for (size_t i = 1; i <= n; i++) {
        if (i < n && h[i].status == h[start].status)
            continue;
        double x0 = xpos(f, h[start].t), x1 = i < n ? xpos(f, h[i].t) : CH_W;
        const char *name = store_status_name((enum dest_status)h[start].status);
        buf_printf(b,
                   "<rect class=\"c-%s\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\">"
                   "<title>%s</title></rect>",
                   name, x0, CH_BAND_Y, x1 - x0 < 2 ? 2 : x1 - x0, CH_BAND_H, name);
        start = i;
    }
}

/* Active recipients as a step line (a value holds until the next sample) and its area. */
static void line(struct buf *b, const struct frame *f, const struct history_sample *h, size_t n)
{
    buf_printf(b, "<path class=\"c-area\" d=\"M%.1f %.0f", xpos(f, h[0].t), CH_PLOT_H);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            buf_printf(b,
                       "\"/><path class=\"c-line\" vector-effect=\"non-scaling-stroke\" "
                       "d=\"M%.1f %.1f",
                       xpos(f, h[0].t), ypos(f, h[0].active));
        for (size_t i = 0; i < n; i++) {
            double y = ypos(f, h[i].active);
            double xn = i + 1 < n ? xpos(f, h[i + 1].t) : CH_W;
            buf_printf(b, " L%.1f %.1f L%.1f %.1f", xpos(f, h[i].t), y, xn, y);
        }
        if (pass == 0)
            buf_printf(b, " L%.0f %.0f Z", CH_W, CH_PLOT_H);
    }
    buf_puts(b, "\"/>");
}

void ui_render_chart(const struct dest_view *d, double now, struct buf *out)
{
    size_t n = d->history ? d->history->n : 0;
    if (n == 0) {
        buf_puts(out, "<p class=\"na\">No history yet: a sample is kept at every change "
                      "of status or active recipients.</p>");
        return;
    }
    const struct history_sample *h = d->history->s;
    struct frame f = {.t0 = h[0].t, .t1 = now > h[n - 1].t ? now : h[n - 1].t};
    uint32_t max = 0;
    for (size_t i = 0; i < n; i++)
        max = h[i].active > max ? h[i].active : max;
    f.ymax = nice_ceiling(max);
    char top[FMT_COUNT_MAX], span[FMT_DURATION_MAX];
    buf_printf(out,
               "<figure class=\"chart\"><div class=\"chart-y\" aria-hidden=\"true\">"
               "<span>%s</span><span>0</span></div>"
               "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" preserveAspectRatio=\"none\" "
               "role=\"img\" aria-labelledby=\"chart-title\" "
               "xmlns=\"http://www.w3.org/2000/svg\"><title id=\"chart-title\">Active recipients "
               "(line, peak %u) and host status (band) over the last %zu changes</title>",
               fmt_count(top, sizeof top, (uint64_t)f.ymax), CH_W, CH_H, max, n);
    grid(out);
    line(out, &f, h, n);
    band(out, &f, h, n);
    buf_printf(out,
               "</svg><div class=\"chart-x\"><span>%s ago</span><span>now</span></div>"
               "<figcaption><span class=\"key key-line\"></span> Active recipients "
               "<span class=\"key c-up\"></span> up <span class=\"key c-down\"></span> down "
               "<span class=\"key c-unknown\"></span> unknown</figcaption></figure>",
               fmt_duration(span, sizeof span, now - f.t0));
}
