// GAN Playground's page code: the fast path for plots (see playground/ui/live_feed.py), the
// batch-row hover that marks its point in the data view, Enter in slider number boxes, and
// the presenter view's resize. Loaded once into the page's <head>.
(() => {
    const FRAMES_PER_SECOND = 10;
    const STATIC = new Set(['view-sparkline']);  // drawn without hover machinery: cheaper
    const pg = (window.playground = window.playground || {});

    // Draw {elem_id: figure} into the plots on screen, and {elem_id: html} (key __html__) into
    // HTML views. window.Plotly is the copy Gradio's Plot component loaded. Each plot is drawn
    // at its current width (no measuring pass); the width is then dropped from its layout so
    // that resizing the window still resizes the plot.
    pg.draw = (figures) => {
        if (!figures) return;
        const html = figures.__html__ || {};
        for (const [id, markup] of Object.entries(html)) {
            const host = document.querySelector('#' + id + ' .model-graph');
            if (host) host.outerHTML = markup;
        }
        if (!window.Plotly) return;
        for (const [id, fig] of Object.entries(figures)) {
            if (id === '__html__') continue;
            const plot = document.querySelector('#' + id + ' .js-plotly-plot');
            if (!plot || !plot._fullLayout) continue;
            const layout = {...fig.layout, width: plot._fullLayout.width, autosize: true};
            const config = {...(plot._context || {}), displayModeBar: false};
            if (STATIC.has(id)) config.staticPlot = true;
            window.Plotly.react(plot, fig.data, layout, config).then(() => {
                delete plot.layout.width;
                pg.bindHover();
            });
        }
    };

    // After Play: fetch and draw frames until the token changes (Pause) or the server says
    // the run stopped. A request goes out every 1/FRAMES_PER_SECOND s while fewer than two
    // are on their way; a frame that arrives after a newer one is dropped. Twenty failed
    // requests in a row (server gone) end the loop.
    pg.play = (token) => {
        if (!token) return;
        pg.feed = token;
        const url = new URL('playground/frame/' + token, document.baseURI);
        let sent = 0, drawn = 0, travelling = 0, failures = 0;
        const live = () => pg.feed === token;
        const ask = () => {
            const seq = ++sent;
            travelling += 1;
            fetch(url, {cache: 'no-store'})
                .then((response) => response.json())
                .then((frame) => {
                    travelling -= 1;
                    failures = 0;
                    if (!live()) return;
                    if (!frame.playing) {
                        pg.feed = null;
                    } else if (seq > drawn) {
                        drawn = seq;
                        pg.draw(frame.figures);
                    }
                })
                .catch(() => {
                    travelling -= 1;
                    failures += 1;
                });
        };
        const clock = () => {
            if (!live() || failures >= 20) return;
            if (travelling < 2) ask();
            setTimeout(clock, 1000 / FRAMES_PER_SECOND);
        };
        clock();
    };
    pg.stop = () => {
        pg.feed = null;
    };

    // Hovering a row of the stacked batch marks that sample's point in the data view.
    const mark = (point) => {
        const plot = document.querySelector('#view-data .js-plotly-plot');
        if (!plot || !plot._fullLayout || !window.Plotly) return;
        const keep = (plot.layout.shapes || []).filter((s) => s.name !== 'batch-row');
        if (point) {
            const [x, y] = point;
            const r = 0.04 * (plot._fullLayout.xaxis.range[1] - plot._fullLayout.xaxis.range[0]);
            keep.push({
                name: 'batch-row', type: 'circle', xref: 'x', yref: 'y',
                x0: x - r, x1: x + r, y0: y - r, y1: y + r,
                line: {color: '#000', width: 3},
            });
        }
        window.Plotly.relayout(plot, {shapes: keep});
    };
    pg.bindHover = () => {
        const plot = document.querySelector('#view-batch .js-plotly-plot');
        if (!plot || plot.__playgroundHover || !plot.on) return;
        plot.__playgroundHover = true;
        plot.on('plotly_hover', (event) => {
            const point = event.points && event.points[0];
            // customdata arrives as an array or a typed array (Plotly's binary encoding)
            let data = point && point.customdata;
            if (data && data[0] && data[0].length) data = data[0];
            if (!data || data.length < 6) return;
            data = Array.from(data);
            const view = document.querySelector('#view-data .js-plotly-plot');
            const twoD = view && view._fullLayout && view._fullLayout.yaxis.scaleanchor === 'x';
            if (twoD) mark([data[4], data[5]]);
        });
        plot.on('plotly_unhover', () => mark(null));
    };
    new MutationObserver(() => pg.bindHover()).observe(document.documentElement, {
        childList: true,
        subtree: true,
    });

    // A slider's number box applies on Enter (Gradio applies it on blur).
    document.addEventListener('keydown', (event) => {
        const box = event.target;
        if (event.key === 'Enter' && box.matches && box.matches('input[data-testid="number-input"]')) {
            box.blur();
        }
    });

    // Presenter view: the page's class, then every plot takes the width it now has.
    pg.presenter = (on) => {
        document.body.classList.toggle('presenter', !!on);
        const drawer = document.querySelector('#drawer');
        if (on && drawer && drawer.getBoundingClientRect().left >= 0) {
            drawer.querySelector('.toggle-button').click();  // close it: the picture gets the room
        }
        const resize = () => {
            for (const plot of document.querySelectorAll('.js-plotly-plot')) {
                if (window.Plotly && plot._fullLayout) window.Plotly.Plots.resize(plot);
            }
        };
        requestAnimationFrame(() => requestAnimationFrame(resize));
        setTimeout(resize, 400);
    };
})();
