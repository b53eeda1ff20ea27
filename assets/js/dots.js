// The data view's point and line layers (real data, G(z), D's kept and rejected fakes, G's
// gradient arrows, the manifold mesh) drawn on a canvas laid over the plot when the page draws
// a figure itself (autoplay frames, fast steps). As Plotly markers, 600 points cost the page
// ~25 ms of each ~47 ms repaint in headless Chromium; on a canvas about a millisecond
// (README, "The data view's points on a canvas"). Their traces stay in the figure with no
// points, so the legend still names and shows them. A figure Gradio draws keeps its own
// traces, and the canvas is cleared. Only layers with hover switched off move: nothing a
// student could point at is lost.
(() => {
    const pg = (window.playground = window.playground || {});
    const MOVED = 'pg-dots';  // the meta of a trace whose points are on the canvas
    const plain = (v) => !Array.isArray(v);
    const movable = (t) =>
        t.type === 'scatter' && (t.mode === 'markers' || t.mode === 'lines') &&
        t.x && t.x.length > 1 && !t.fill && ['skip', 'none'].includes(t.hoverinfo) &&
        plain((t.marker || {}).color) &&
        plain((t.marker || {}).size) && plain((t.line || {}).color);
    let painted = 0;

    // The canvas lives inside the plot, between Plotly's two SVG layers: above the traces,
    // under the legend, colour bar and title; a plot Gradio replaces takes it along.
    const canvasFor = (gd, create) => {
        const host = gd.querySelector('.svg-container');
        if (!host) return null;
        let canvas = host.querySelector('canvas.pg-dots');
        if (!canvas && create) {
            canvas = document.createElement('canvas');
            canvas.className = 'pg-dots';
            canvas.style.cssText = 'position:absolute;left:0;top:0;pointer-events:none;';
            const traces = host.querySelector('svg.main-svg');
            host.insertBefore(canvas, traces ? traces.nextSibling : null);
        }
        return canvas;
    };

    // Markers one at a time, as Plotly draws them: a later point covers the outline of an
    // earlier one it overlaps. `trace` gives the style, `layer` the points. Returns how many
    // were drawn.
    const dots = (ctx, xa, ya, trace, layer) => {
        const marker = trace.marker || {};
        const line = marker.line || {};
        const r = (marker.size ?? 6) / 2;
        const stroke = (line.width || 0) > 0;
        ctx.globalAlpha = (marker.opacity ?? 1) * (trace.opacity ?? 1);
        ctx.fillStyle = marker.color || '#444';
        ctx.strokeStyle = line.color || '#444';
        ctx.lineWidth = line.width || 0;
        let count = 0;
        for (let i = 0; i < layer.x.length; i++) {
            const x = layer.x[i], y = layer.y[i];
            if (x == null || y == null) continue;
            ctx.beginPath();
            ctx.arc(xa._offset + xa.l2p(x), ya._offset + ya.l2p(y), r, 0, 2 * Math.PI);
            ctx.fill();
            if (stroke) ctx.stroke();
            count += 1;
        }
        return count;
    };
    // A polyline with a gap at each missing point (arrows, the mesh): one stroke.
    const lines = (ctx, xa, ya, trace, layer) => {
        const line = trace.line || {};
        ctx.globalAlpha = trace.opacity ?? 1;
        ctx.strokeStyle = line.color || '#444';
        ctx.lineWidth = line.width ?? 2;
        ctx.lineJoin = 'round';
        ctx.beginPath();
        let pen = false, count = 0;
        for (let i = 0; i < layer.x.length; i++) {
            const x = layer.x[i], y = layer.y[i];
            if (x == null || y == null || Number.isNaN(x) || Number.isNaN(y)) {
                pen = false;
                continue;
            }
            const px = xa._offset + xa.l2p(x), py = ya._offset + ya.l2p(y);
            if (pen) ctx.lineTo(px, py);
            else ctx.moveTo(px, py);
            pen = true;
            count += 1;
        }
        ctx.stroke();
        return count;
    };

    // Paint the points kept for `gd` if its figure is one this page drew with them moved out,
    // else clear the canvas (Gradio drew the figure, markers and all). Runs after every
    // repaint of the plot, so zooming, resizing and the batch-row mark keep the points.
    const paint = (gd) => {
        const fl = gd._fullLayout;
        const moved = fl && fl.xaxis && (gd.data || []).some((t) => t.meta === MOVED);
        const canvas = canvasFor(gd, moved);
        if (!canvas) return;
        const ratio = window.devicePixelRatio || 1;
        const cssWidth = fl ? fl.width : gd.clientWidth;
        const cssHeight = fl ? fl.height : gd.clientHeight;
        const width = Math.round(cssWidth * ratio), height = Math.round(cssHeight * ratio);
        if (canvas.width !== width) canvas.width = width;  // setting it reallocates the canvas
        if (canvas.height !== height) canvas.height = height;
        canvas.style.width = cssWidth + 'px';
        canvas.style.height = cssHeight + 'px';
        const ctx = canvas.getContext('2d');
        ctx.setTransform(1, 0, 0, 1, 0, 0);
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        let count = 0;
        if (moved) {
            const xa = fl.xaxis, ya = fl.yaxis;
            ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
            ctx.save();
            ctx.beginPath();  // clipped to the axes, as the markers were (cliponaxis)
            ctx.rect(xa._offset, ya._offset, xa._length, ya._length);
            ctx.clip();
            for (const layer of gd._pgDots || []) {
                const trace = gd.data[layer.index];
                const hidden = !trace || [false, 'legendonly'].includes(trace.visible);
                if (hidden || trace.meta !== MOVED) continue;  // e.g. hidden from the legend
                const draw = trace.mode === 'lines' ? lines : dots;
                count += draw(ctx, xa, ya, trace, layer);
            }
            ctx.restore();
        }
        painted += 1;
        canvas.dataset.frame = String(painted);
        canvas.dataset.dots = String(count);
    };

    pg.dots = {
        // The figure's traces with each point layer's points taken out (kept on `gd` for the
        // canvas, with the index of the trace that keeps their style), ready for Plotly.react;
        // the canvas is painted once Plotly has drawn.
        take: (gd, data) => {
            const dots = [];
            const traces = data.map((t, index) => {
                if (!movable(t)) return t;
                dots.push({x: t.x, y: t.y, index});
                return {...t, x: [null], y: [null], meta: MOVED};
            });
            gd._pgDots = dots;
            // painted after each repaint; hooked again if the listener was lost (a purge)
            gd._pgPaint = gd._pgPaint || (() => paint(gd));
            const hooked = gd._ev && gd._ev.listeners('plotly_afterplot').includes(gd._pgPaint);
            if (!hooked && gd.on) gd.on('plotly_afterplot', gd._pgPaint);
            return traces;
        },
    };
})();
