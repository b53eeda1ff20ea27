// Drawing a distribution on the data view: with "draw" ticked, click and drag on the plot to
// paint points (brush radius and points per move from the sliders), or rub them out with
// "erase". The points live here, on a canvas laid over the plot (so redraws of the plot do not
// wipe them), until "Train on my drawing" sends them, encoded as playground/drawing.py reads
// them: one byte per coordinate on a 256-level grid over [-2, 2], base64url.
(() => {
    const pg = (window.playground = window.playground || {});
    const DOMAIN = 2.0;
    const LEVELS = 256;
    const MAX_POINTS = 2000;
    // the real colour (playground/palette.py REAL: drawn points become the real data), see-
    // through so that the real points and mode numbers under the drawing still show
    const COLOUR = 'rgba(0, 114, 178, 0.45)';
    const s = {on: false, erase: false, brush: 0.15, density: 6, points: [], painting: false};

    const plot = () => document.querySelector('#view-data .js-plotly-plot');
    const axes = (gd) => [gd._fullLayout.xaxis, gd._fullLayout.yaxis];

    const toData = (gd, event) => {
        const [xa, ya] = axes(gd);
        const box = gd.getBoundingClientRect();
        return [
            xa.p2l(event.clientX - box.left - xa._offset),
            ya.p2l(event.clientY - box.top - ya._offset),
        ];
    };

    const canvasFor = (gd) => {
        const host = gd.parentElement;
        let canvas = host.querySelector('canvas.pg-drawing');
        if (!canvas) {
            canvas = document.createElement('canvas');
            canvas.className = 'pg-drawing';
            canvas.style.cssText = 'position:absolute;left:0;top:0;pointer-events:none;';
            host.style.position = 'relative';
            host.appendChild(canvas);
        }
        // resized only when the plot's size changed: setting it reallocates the canvas, and
        // this runs after every repaint of the plot (ten a second while playing)
        if (canvas.width !== gd.clientWidth) canvas.width = gd.clientWidth;
        if (canvas.height !== gd.clientHeight) canvas.height = gd.clientHeight;
        return canvas;
    };

    const redraw = () => {
        const gd = plot();
        if (!gd || !gd._fullLayout || !gd._fullLayout.xaxis) return;
        if (!gd._pgDrawing) {  // keep the drawing over the plot after each redraw
            gd._pgDrawing = true;
            gd.on('plotly_afterplot', redraw);
        }
        if (!s.on && !gd.parentElement.querySelector('canvas.pg-drawing')) return;  // never drawn
        const canvas = canvasFor(gd);
        const ctx = canvas.getContext('2d');
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        if (!s.on) return;  // the drawing shows while drawing; trained on, it is the real data
        const [xa, ya] = axes(gd);
        ctx.fillStyle = COLOUR;
        for (const [x, y] of s.points) {
            ctx.beginPath();
            ctx.arc(xa.l2p(x) + xa._offset, ya.l2p(y) + ya._offset, 2.5, 0, 2 * Math.PI);
            ctx.fill();
        }
    };

    const paint = (gd, event) => {
        const [cx, cy] = toData(gd, event);
        const r = s.brush;
        if (s.erase) {
            s.points = s.points.filter(([x, y]) => (x - cx) ** 2 + (y - cy) ** 2 > r * r);
        } else {
            for (let i = 0; i < s.density && s.points.length < MAX_POINTS; i++) {
                const angle = Math.random() * 2 * Math.PI;
                const radius = r * Math.sqrt(Math.random());  // uniform over the brush's disc
                const x = cx + radius * Math.cos(angle);
                const y = cy + radius * Math.sin(angle);
                if (Math.abs(x) <= DOMAIN && Math.abs(y) <= DOMAIN) s.points.push([x, y]);
            }
        }
        redraw();
    };

    // Capture phase: the plot's own drag-to-zoom never sees the strokes.
    document.addEventListener('mousedown', (event) => {
        const gd = plot();
        if (!s.on || !gd || !gd.contains(event.target)) return;
        event.preventDefault();
        event.stopPropagation();
        s.painting = true;
        paint(gd, event);
    }, true);
    document.addEventListener('mousemove', (event) => {
        if (!s.painting) return;
        event.preventDefault();
        event.stopPropagation();
        paint(plot(), event);
    }, true);
    document.addEventListener('mouseup', (event) => {
        if (!s.painting) return;
        s.painting = false;
        event.stopPropagation();
    }, true);

    const encode = (points) => {
        let raw = '';
        for (const [x, y] of points) {
            for (const v of [x, y]) {
                const level = Math.round((v + DOMAIN) / (2 * DOMAIN) * (LEVELS - 1));
                raw += String.fromCharCode(Math.min(LEVELS - 1, Math.max(0, level)));
            }
        }
        return btoa(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    };

    pg.drawing = {
        set: (on, erase, brush, density) => {
            s.on = !!on;
            s.erase = !!erase;
            s.brush = Number(brush) || s.brush;
            s.density = Math.max(1, Math.round(Number(density) || s.density));
            redraw();
        },
        clear: () => {
            s.points = [];
            redraw();
        },
        text: () => encode(s.points),
        count: () => s.points.length,
    };
})();
