"""Every static UI label in English and Simplified Chinese, served through Gradio's i18n (the
browser's language picks one; Gradio's Settings panel can override it). Captions, lecture and
tour texts are translated on the server instead (see playground.lecture)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import gradio as gr
from gradio.i18n import I18nData

from playground.config import LIVE_FIELDS, GANConfig

TEXT: dict[str, tuple[str, str]] = {
    "title": (
        "# GAN Playground\nTrain a GAN one step at a time. **D step**: x = [fake; real], "
        "y = [0…0, 1…1], D scores every row, only D learns. **G step**: D_on_G = D(G(z)) "
        "with target 1, D frozen, only G learns.",
        "# GAN 游乐场\n一步一步地训练 GAN。**D 步**：x = [假; 真]，y = [0…0, 1…1]，"
        "D 给每一行打分，只有 D 学习。**G 步**：D_on_G = D(G(z))，目标为 1，D 被冻结，"
        "只有 G 学习。",
    ),
    "preset": ("preset", "预设"),
    "preset.info": (
        "fills every setting below and starts a fresh run",
        "填好下面所有设置并开始新的训练",
    ),
    "setup": ("setup", "设置"),
    "save_load": ("save / load", "保存 / 载入"),
    "upload": (
        "your data: .csv/.npy points, .npz/.idx images",
        "你的数据：.csv/.npy 点，.npz/.idx 图像",
    ),
    "apply": ("Apply settings", "应用设置"),
    "save": ("Download checkpoint (.zip)", "下载检查点（.zip）"),
    "samples": ("Download 1000 samples (.npz)", "下载 1000 个样本（.npz）"),
    "export": ("Export config (.json)", "导出配置（.json）"),
    "download": ("download", "下载"),
    "load_ckpt": ("load a checkpoint (.zip)", "载入检查点（.zip）"),
    "import_cfg": ("import a config (.json)", "导入配置（.json）"),
    "step_d": ("Step D", "D 走一步"),
    "step_g": ("Step G", "G 走一步"),
    "step": ("Step (1 iteration)", "走一步（1 轮迭代）"),
    "run_n": ("Run N", "运行 N 轮"),
    "play": ("▶ Play", "▶ 播放"),
    "pause": ("⏸ Pause", "⏸ 暂停"),
    "reset": ("Reset", "重置"),
    "per_tick": ("iterations per tick", "每次刷新的迭代数"),
    "per_tick.info": (
        "autoplay ticks 10 times a second and trains up to 10x this many iterations per second",
        "自动播放每秒刷新 10 次，每秒最多训练这个数的 10 倍轮迭代",
    ),
    "redraw": ("redraw the plots every N ticks", "每 N 次刷新重绘一次图"),
    "redraw.info": (
        "autoplay: fewer redraws = more iterations/s",
        "自动播放：重绘越少，每秒迭代越多",
    ),
    "latent_axes": ("the sliders move", "滑块控制"),
    "latent_axes.info": (
        "z's first 16 dimensions, or the directions in z along which G's output varies most "
        "(PCA of G(z), recomputed after training; the % is each one's share of the variance)",
        "z 的前 16 维，或让 G 的输出变化最大的 z 方向（对 G(z) 做主成分分析，训练后重新计算；"
        "百分比为各方向所占的方差比例）",
    ),
    "timeline": ("timeline (rewind)", "时间轴（回退）"),
    "timeline.info": (
        "drag back: rewinds to the nearest snapshot, continues from it",
        "向回拖动：回到最近的快照并从那里继续",
    ),
    "lecture": ("🎓 Explain this step / 讲解这一步", "🎓 讲解这一步 / Explain this step"),
    "auto_advance": ("auto-advance (s, 0 = off)", "自动前进（秒，0 = 关闭）"),
    "tour": ("scenario tour", "场景导览"),
    "tour_start": ("Start tour", "开始导览"),
    "tour_next": ("Next tour step ▶", "导览下一步 ▶"),
    "presenter": ("presenter view", "演示模式"),
    "presenter.info": ("large text, setup panel hidden", "大字体，隐藏设置面板"),
    "share": ("Link to this setup", "分享此设置的链接"),
    "share_link": ("link (config, seed, tour step)", "链接（配置、种子、导览步骤）"),
    "language.info": (
        "captions, lecture and tours; the browser's language picks the default",
        "说明文字、讲解和导览；默认跟随浏览器语言",
    ),
    "tab1": ("1 · D step batch", "1 · D 步的批次"),
    "tab2": ("2 · G step (D_on_G)", "2 · G 步（D_on_G）"),
    "tab3": ("3 · D scores", "3 · D 的分数"),
    "tab4": ("4 · losses", "4 · 损失"),
    "tab5": ("5 · data / samples", "5 · 数据 / 样本"),
    "tab6": ("6 · latent space", "6 · 潜在空间"),
    "batch_table": ("x = [fake; real]: first rows of each half", "x = [假; 真]：每一半的前几行"),
    "evaluate": ("Evaluate", "评估"),
    "class": ("class (cGAN)", "类别（cGAN）"),
    "rand_a": ("Randomise A", "随机 A"),
    "rand_b": ("Randomise B", "随机 B"),
    "path": ("path", "路径"),
    "frames": ("frames", "帧数"),
    "interpolate": ("Interpolate A → B", "从 A 插值到 B"),
    "live": ("applies live", "即时生效"),
    "rebuilds": ("rebuilds the networks", "会重建网络"),
}

# setup-panel controls: label and info line for each GANConfig field shown
FIELD_ZH: dict[str, tuple[str, str]] = {
    "dataset": ("数据集", "要学习的分布"),
    "data_path": (
        "数据文件（上传时自动填写）",
        "points-file / idx / npz / png-folder 使用的文件或文件夹",
    ),
    "model": ("模型", "网络结构：mlp（原始 GAN 论文）或 dcgan（卷积，仅图像）"),
    "g_hidden": ("G 宽度", "生成器每层的单元数（dcgan 为基础通道数）"),
    "g_layers": ("G 层数", "生成器隐藏层数（mlp）"),
    "d_hidden": ("D 宽度", "判别器每层的单元数（dcgan 为基础通道数）"),
    "d_layers": ("D 层数", "判别器隐藏层数（mlp）"),
    "activation": ("激活函数", "隐藏层激活函数"),
    "loss": ("损失", "GAN 损失函数"),
    "optimizer": ("优化器", "两个网络都用 adam 或 sgd"),
    "lr_g": ("G 学习率", "生成器学习率"),
    "lr_d": ("D 学习率", "判别器学习率"),
    "beta1": ("beta1", "Adam 的 beta1"),
    "batch_size": ("批大小", "每个 D 步的真样本数（D 的批次是它的两倍：假 + 真）"),
    "z_dim": ("z 维度", "噪声向量 z 的长度"),
    "d_steps": ("D 步数", "每轮迭代的 D 步数"),
    "g_steps": ("G 步数", "每轮迭代的 G 步数"),
    "conditional": ("条件 GAN", "cGAN：用类别标签控制 G 和 D"),
    "pack": ("打包数", "PacGAN 打包：D 一次评判这么多样本"),
    "spectral_norm": ("谱归一化", "对 D 的层做谱归一化"),
    "normalize": (
        "按数据尺度归一化",
        "二维点：G 和 D 以数据最大坐标为单位工作，"
        "所以铺在 [-4, 4] 的网格和 [-1, 1] 里的一样快（关掉看看差别）",
    ),
    "ema_decay": ("EMA 衰减", "G 权重的指数滑动平均，用于采样（0 = 关闭）"),
    "seed": ("随机种子", "权重、数据和噪声的种子：相同种子，相同训练"),
    "device": ("设备", "auto（先 CUDA，再 MPS，再 CPU）、cpu、cuda 或 mps"),
}


def _tables() -> tuple[dict[str, str], dict[str, str]]:
    en = {key: pair[0] for key, pair in TEXT.items()}
    zh = {key: pair[1] for key, pair in TEXT.items()}
    for name, (zh_label, zh_info) in FIELD_ZH.items():
        live = name in LIVE_FIELDS
        en[f"field.{name}"] = name.replace("_", " ")
        en[f"field.{name}.info"] = (
            f"{GANConfig.help(name)} ({TEXT['live' if live else 'rebuilds'][0]})"
        )
        zh[f"field.{name}"] = zh_label
        zh[f"field.{name}.info"] = f"{zh_info}（{TEXT['live' if live else 'rebuilds'][1]}）"
    return en, zh


EN, ZH = _tables()
I18N = gr.I18n(en=EN, **{"zh-CN": ZH})


def t(key: str) -> gr.i18n.I18nData:
    """A label that the browser shows in its language."""
    if key not in EN:
        raise KeyError(f"no translation key '{key}'")
    return I18N(key)


TRANSLATED_PROPS = ("label", "info", "value")


def labelled_blocks(blocks: Iterable[Any]) -> list[tuple[Any, dict[str, str]]]:
    """Components whose label/info/value is a translation key: (component, {prop: key})."""
    found = []
    for block in blocks:
        props = {}
        for prop in TRANSLATED_PROPS:
            key = _key_of(getattr(block, prop, None))
            if key is not None:
                props[prop] = key
        if props:
            found.append((block, props))
    return found


def _key_of(value: Any) -> str | None:
    """The translation key of a prop: an I18nData, or the serialised form Gradio keeps for
    values (`__i18n__{"key": …}`)."""
    if isinstance(value, I18nData):
        return value.key
    if isinstance(value, str) and value.startswith(_SERIALISED):
        return json.loads(value[len(_SERIALISED) :]).get("key")
    return None


_SERIALISED = "__i18n__"


def label_text(key: str, language: str) -> str:
    """The plain text of a label key in one language (for updates sent by the server)."""
    return (ZH if language == "zh-CN" else EN)[key]


def relabel(props: dict[str, str], language: str) -> dict[str, Any]:
    """An update that writes the texts of one language, overriding the browser's choice."""
    table = ZH if language == "zh-CN" else EN
    return gr.update(**{prop: table[key] for prop, key in props.items()})
