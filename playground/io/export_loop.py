"""The second half of an exported script: the D step, the G step through D_on_G with D
frozen, the loop with its guard, and the outputs (samples and a picture)."""

from __future__ import annotations

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.io.export_plan import PlanFacts, Section


class LoopCode(PlanFacts):
    """Writes d_step(), g_step(), the training loop and what the script saves."""

    def d_step(self) -> Section:
        c = self.c
        real = "real, labels" if self.cond else "real"
        y = "torch.cat([torch.zeros(BATCH_SIZE), torch.ones(BATCH_SIZE)]).to(DEVICE)"
        lazy = bool(c.r1_gamma) and c.r1_every > 1
        code = f"Y = {y}  # «d.y»\n"
        if lazy:
            code += f"d_steps_done = {self.from_iteration * c.d_steps}  # «d.count»\n"
        code += '''

def d_step() -> float:
    """«d.doc»"""
'''
        if lazy:
            code += "    global d_steps_done\n"
        code += f"""    {real} = sample_real(BATCH_SIZE)
    z = torch.randn(BATCH_SIZE, Z_DIM, generator=rng).to(DEVICE)  # «d.z»
{self.eps_line}    with torch.no_grad():  # «d.no_grad»
        fake = G(z{self.labels_arg}{self.eps_arg})
    x = torch.cat([fake, real])  # «d.x»
"""
        if self.cond:
            code += "    both = torch.cat([labels, labels])  # «d.both»\n"
        pack_note = "  # «d.out_pack»" if self.pack > 1 else "  # «d.out»"
        code += f"""
    opt_d.zero_grad(set_to_none=True)
    out = D(x{self.both_arg}){pack_note}
    loss = d_loss_terms(out, {self.d_targets}).mean()
"""
        penalties = []
        if c.loss == "wgan-gp":
            penalties.append(f"GP_WEIGHT * gradient_penalty(real, fake{self.labels_arg})")
        if c.r1_gamma and not lazy:
            penalties.append(f"R1_GAMMA * r1_penalty(real{self.labels_arg})")
        if len(penalties) == 2:
            code += f"    penalty = {penalties[0]}\n    penalty = penalty + {penalties[1]}\n"
            code += "    loss = loss + penalty  # «d.penalty»\n"
        elif penalties:
            code += f"    loss = loss + {penalties[0]}  # «d.penalty»\n"
        if lazy:
            code += "    if d_steps_done % R1_EVERY == 0:  # «d.lazy_r1»\n"
            code += (
                f"        loss = loss + R1_GAMMA * R1_EVERY * r1_penalty(real{self.labels_arg})\n"
            )
        code += """    loss.backward()  # «d.backward»
    opt_d.step()
"""
        if c.loss == "wgan":
            code += """    with torch.no_grad():  # «d.clip»
        for p in D.parameters():
            p.clamp_(-CLIP, CLIP)
"""
        if lazy:
            code += "    d_steps_done += 1\n"
        code += "    return loss.item()\n"
        return Section("d_step", code)

    def g_step(self) -> Section:
        code = ""
        if self.mmd:
            done = self.from_iteration * self.c.g_steps
            code += f"g_steps_done = {done}  # «g.count»\n\n\n"
        code += '''def g_step() -> float:
    """«g.doc»"""
'''
        if self.mmd:
            code += "    global g_steps_done\n"
        code += "    z = torch.randn(BATCH_SIZE, Z_DIM, generator=rng).to(DEVICE)\n"
        if self.clusters:
            code += (
                "    labels = POOL_LABELS[torch.randint(len(POOL), (BATCH_SIZE,), generator=rng)]"
                ".to(DEVICE)  # «g.cluster_labels»\n"
            )
        elif self.cond:
            code += (
                "    labels = torch.randint(NUM_CLASSES, (BATCH_SIZE,), generator=rng).to(DEVICE)"
                "  # «g.labels»\n"
            )
        code += self.eps_line  # as in the D step
        if self.mmd:
            real = "sample_real(MMD_SAMPLES)" + ("[0]" if self.cond else "")
            code += f"    mmd_real = {real} if g_steps_done % MMD_EVERY == 0 else None\n"
        code += "    D.requires_grad_(False)  # «g.freeze»\n"
        if self.c.spectral_norm:
            code += "    D.eval()  # «g.sn_eval»\n"
        code += "    opt_g.zero_grad(set_to_none=True)\n"
        if self.mmd:
            code += f"""    fake = G(z{self.labels_arg}{self.eps_arg})
    out = D(fake{self.labels_arg})  # «g.d_on_g»
    loss = g_loss_terms(out).mean()
    if mmd_real is not None:  # «g.mmd»
"""
            if self.noise:
                code += """        sample = fake[:MMD_SAMPLES]
        noise = (G.sigma() * eps[:MMD_SAMPLES]).view_as(sample)  # σ·ε
        sample = (sample - noise).detach() + noise  # «g.centre»
        loss = loss + MMD_WEIGHT * mmd(sample, mmd_real)
"""
            else:
                code += "        loss = loss + MMD_WEIGHT * mmd(fake[:MMD_SAMPLES], mmd_real)\n"
        else:
            labels = self.labels_arg
            code += f"""    out = D(G(z{labels}{self.eps_arg}){labels})  # «g.d_on_g»
    loss = g_loss_terms(out).mean()
"""
        code += """    loss.backward()  # «g.backward»
    D.requires_grad_(True)
"""
        if self.c.spectral_norm:
            code += "    D.train()\n"
        code += "    opt_g.step()\n"
        if self.ema:
            code += """    with torch.no_grad():  # «g.ema»
        for slow, fast in zip(G_ema.parameters(), G.parameters(), strict=True):
            slow.lerp_(fast, 1 - EMA_DECAY)
"""
        if self.mmd:
            code += "    g_steps_done += 1\n"
        code += "    return loss.item()\n"
        return Section("g_step", code)

    def loop(self) -> Section:
        start = self.from_iteration
        first = f"{start} + 1" if start else "1"
        last = f"{start} + ITERATIONS + 1" if start else "ITERATIONS + 1"
        code = f'''class Diverged(Exception):
    """«loop.diverged»"""


def check(iteration: int, loss: float) -> float:
    """«loop.check»"""
    weights = torch.cat([p.detach().flatten() for p in (*G.parameters(), *D.parameters())])
    if not (math.isfinite(loss) and bool(torch.isfinite(weights).all())):
        raise Diverged(f"«loop.diverged_at»")
    return loss


history: list[tuple[int, float, float]] = []  # (iteration, loss_D, loss_G)
try:
    for iteration in range({first}, {last}):
        for _ in range(D_STEPS):
            loss_d = check(iteration, d_step())
        for _ in range(G_STEPS):
            loss_g = check(iteration, g_step())
'''
        if self.c.lr_decay_iters:
            factor = "1 - (1 - LR_DECAY_TO) * min(1, iteration / LR_DECAY_ITERS)"
            code += f"""        factor = {factor}  # «loop.decay»
        for opt, lr in ((opt_g, LR_G), (opt_d, LR_D)):
            for group in opt.param_groups:
                group["lr"] = lr * factor
"""
        code += """        history.append((iteration, loss_d, loss_g))
        if iteration % LOG_EVERY == 0 or iteration == 1:
            print(f"iteration {iteration:6d}  loss_D {loss_d:.6f}  loss_G {loss_g:.6f}")
except Diverged as stop:
    print(stop)
"""
        return Section("loop", code)

    def outputs(self) -> Section:
        net = "G_ema" if self.sample_ema else "G"
        here = self.pool or self.with_weights
        out_dir = 'HERE / "gan_output"' if here else 'Path("gan_output")'
        code = f"""OUT = {out_dir}  # «out.folder»
OUT.mkdir(exist_ok=True)
with open(OUT / "losses.csv", "w") as losses_file:
    losses_file.write("iteration,loss_D,loss_G\\n")
    losses_file.writelines(f"{{i}},{{d!r}},{{g!r}}\\n" for i, d, g in history)

"""
        n = 100 if self.images else 1000
        labels = ""
        if self.clusters:
            code += f"labels = POOL_LABELS[:{n}].to(DEVICE)  # «out.cluster_labels»\n"
            labels = ", labels"
        elif self.cond:
            code += f"labels = (torch.arange({n}) % NUM_CLASSES).to(DEVICE)  # «out.labels»\n"
            labels = ", labels"
        fixed = "torch.Generator().manual_seed(0)"
        if self.noise:
            scale = " * SAMPLE_NOISE" if self.c.sample_noise != 1 else ""
            code += f"""fixed = {fixed}
z = torch.randn({n}, Z_DIM, generator=fixed).to(DEVICE)
eps = torch.randn({n}, math.prod(DATA_SHAPE), generator=fixed).to(DEVICE){scale}  # «out.eps»
{net}.eval()
with torch.no_grad():
    samples = {net}(z{labels}, eps).cpu()  # «out.samples»
"""
        else:
            code += f"""z = torch.randn({n}, Z_DIM, generator={fixed}).to(DEVICE)
{net}.eval()
with torch.no_grad():
    samples = {net}(z{labels}).cpu()  # «out.samples»
"""
        if self.images:
            code += '''

def save_png(path: Path, images: torch.Tensor, per_row: int, zoom: int = 4) -> None:
    """«out.png»"""
    n, channels, h, w = images.shape
    rows = -(-n // per_row)
    grid = torch.zeros(rows * (h + 1), per_row * (w + 1), channels)
    for i, image in enumerate(images.permute(0, 2, 3, 1)):
        r, c = divmod(i, per_row)
        grid[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = image
    grid = grid.repeat_interleave(zoom, 0).repeat_interleave(zoom, 1)
    pixels = ((grid + 1) / 2).clamp(0, 1).mul(255).to(torch.uint8).numpy()
    height, width = pixels.shape[:2]
    raw = b"".join(b"\\x00" + row.tobytes() for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    colour = 0 if channels == 1 else 2  # grey or RGB
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    png = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    path.write_bytes(b"\\x89PNG\\r\\n\\x1a\\n" + png)


'''
            per_row = "NUM_CLASSES" if self.cond and not self.clusters else "10"
            code += f'save_png(OUT / "samples.png", samples, per_row={per_row})\n'
            code += 'print(f"«out.wrote_png»")\n'
            return Section("outputs", code)
        code += 'np.savetxt(OUT / "samples.csv", samples.numpy(), delimiter=","'
        code += ''', header="x,y", comments="")


def save_scatter(path: Path, real: torch.Tensor, fake: torch.Tensor, size: int = 480) -> None:
    """«out.svg»"""
    both = torch.cat([real, fake])
    low, span = both.min(0).values, (both.max(0).values - both.min(0).values).clamp(min=1e-9)

    def dots(points: torch.Tensor, colour: str) -> str:
        xy = (points - low) / span * (size - 20) + 10
        return "".join(
            f'<circle cx="{x:.1f}" cy="{size - y:.1f}" r="2" fill="{colour}" opacity="0.6"/>'
            for x, y in xy.tolist()
        )

    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}">'
    path.write_text(svg + dots(real, "#0072B2") + dots(fake, "#E69F00") + "</svg>")


'''
        real = "sample_real(1000)[0]" if self.cond else "sample_real(1000)"
        code += f'save_scatter(OUT / "samples.svg", {real}.cpu(), samples)  # «out.colours»\n'
        code += 'print(f"«out.wrote_svg»")\n'
        return Section("outputs", code)
