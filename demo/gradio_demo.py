# Copyright (c) mmvg contributors. All rights reserved.
"""A web demo: ground referring expressions in an uploaded image.

Example::

    pip install -e ".[demo]"
    python demo/gradio_demo.py vltvg_r18-tiny_bert-tiny_1xb32-2500i_synthetic \\
        --weights work_dirs/vltvg_r18-tiny_bert-tiny_1xb32-2500i_synthetic/iter_2500.pth

then open http://127.0.0.1:7860, upload an image, type one expression per
line and press "Ground": the picture shows each expression's boxes (and
masks) in its own colour with its score, the JSON its predictions. More
models go in the dropdown with ``--model NAME=CONFIG[:CHECKPOINT]``; each
is built on first use. The app runs on CPU and makes no request beyond
the host it serves (no telemetry, no version check, no share link).
"""  # noqa: E501
import argparse
import os.path as osp
from typing import Dict, List, Optional, Tuple

import gradio as gr
import numpy as np

from mmvg.apis import VGInferencer
from mmvg.apis.vg_inferencer import load_image

# Model name -> (config file or model-index name, checkpoint or None).
ModelSpecs = Dict[str, Tuple[str, Optional[str]]]


class GroundingService:
    """Grounds the demo's requests; one :class:`VGInferencer` per model,
    built on first use.

    Args:
        models (dict): Model name -> (config file or model name of
            ``model-index.yml``, checkpoint or None).
        device (str): The models' device. Defaults to 'cpu'.
    """

    def __init__(self, models: ModelSpecs, device: str = 'cpu') -> None:
        if not models:
            raise ValueError('The demo needs at least one model')
        self.models = models
        self.device = device
        self._inferencers: Dict[str, VGInferencer] = {}

    def inferencer(self, name: str) -> VGInferencer:
        """The model's inferencer, built on the first call."""
        if name not in self.models:
            raise ValueError(f'Unknown model {name!r}; the demo serves: '
                             f'{", ".join(self.models)}')
        if name not in self._inferencers:
            config, weights = self.models[name]
            self._inferencers[name] = VGInferencer(
                config, weights=weights, device=self.device)
        return self._inferencers[name]

    def ground(self, upload: Optional[dict], text: Optional[str], model: str,
               score_thr: float) -> Tuple[np.ndarray, dict]:
        """The click handler: ground each line of ``text`` in the image.

        Args:
            upload (dict, optional): gradio's payload of the uploaded
                image (``path``, ``orig_name``), unprocessed.
            text (str, optional): Expressions, one per line.
            model (str): The model's name.
            score_thr (float): The least score of a drawn box.

        Returns:
            tuple: The RGB picture and the predictions (``model`` and
            ``expressions``, each with ``text``, ``bboxes``, ``scores``
            and, for segmentation models, ``masks``).
        """
        img = read_upload(upload)
        expressions = split_expressions(text)
        if not expressions:
            raise gr.Error('No expression: type the expressions to ground, '
                           'one per line (e.g. "the red circle").')
        try:
            result = self.inferencer(model)(
                img, expressions, return_vis=True, pred_score_thr=score_thr)
        except (OSError, ValueError, RuntimeError) as e:
            # A bad config or checkpoint, or an unknown model: on the page.
            raise gr.Error(f'{model}: {e}') from e
        prediction = result['predictions'][0]
        return result['visualization'][0], dict(
            model=model, expressions=prediction['expressions'])


def split_expressions(text: Optional[str]) -> List[str]:
    """One expression per non-blank line, stripped."""
    return [line.strip() for line in (text or '').splitlines() if line.strip()]


def read_upload(upload: Optional[dict]) -> np.ndarray:
    """Decode an uploaded image (gradio's file payload) as BGR.

    The click handler takes the payload unprocessed: gradio's own decoder
    would fail on an unreadable file before the handler runs, with a
    message that does not reach the page. mmvg's decoder names the file
    and converts grayscale and RGBA images.
    """
    if not upload or not upload.get('path'):
        raise gr.Error('No image: upload the image to ground the '
                       'expressions in.')
    name = upload.get('orig_name') or osp.basename(upload['path'])
    try:
        return load_image(upload['path'], name)
    except (OSError, ValueError) as e:
        raise gr.Error(f'Cannot read the uploaded image {name}: {e}') from e


def build_demo(models: ModelSpecs, device: str = 'cpu') -> gr.Blocks:
    """The demo's app: image, expressions and model in; picture and JSON
    out.

    Args:
        models (dict): Model name -> (config file or model name of
            ``model-index.yml``, checkpoint or None); the first is the
            dropdown's default. Each is built when first chosen.
        device (str): The models' device. Defaults to 'cpu'.

    Returns:
        gr.Blocks: The app; ``.launch()`` serves it.
    """
    service = GroundingService(models, device)
    # No telemetry and no version check (gradio's GRADIO_ANALYTICS_ENABLED
    # switch, set here so that every caller of build_demo gets it).
    with gr.Blocks(
            title='mmvg visual grounding', analytics_enabled=False) as demo:
        gr.Markdown('# mmvg visual grounding\nUpload an image, type one '
                    'referring expression per line and press **Ground**.')
        with gr.Row():
            with gr.Column():
                image = gr.Image(
                    label='Image', sources=['upload'], elem_id='image')
                text = gr.Textbox(
                    label='Expressions, one per line',
                    lines=3,
                    placeholder='the red circle\nthe square on the right',
                    elem_id='expressions')
                model = gr.Dropdown(
                    choices=list(models),
                    value=next(iter(models)),
                    label='Model',
                    elem_id='model')
                score_thr = gr.Slider(
                    0,
                    1,
                    value=0.3,
                    step=0.05,
                    label='Least score of a drawn box (multi-target models)')
                button = gr.Button('Ground', variant='primary')
            with gr.Column():
                # PNG: the picture reaches the page as drawn.
                picture = gr.Image(
                    label='Result', format='png', elem_id='picture')
                predictions = gr.JSON(
                    label='Predictions', elem_id='predictions')
        # One request at a time (gradio's default concurrency limit): the
        # inferencers and their visualizers are not thread-safe.
        button.click(
            service.ground,
            inputs=[image, text, model, score_thr],
            outputs=[picture, predictions],
            preprocess=False)
    return demo


def parse_model(spec: str) -> Tuple[str, Tuple[str, Optional[str]]]:
    """``NAME=CONFIG[:CHECKPOINT]`` as (name, (config, checkpoint))."""
    name, sep, rest = spec.partition('=')
    config, _, weights = rest.partition(':')
    if not sep or not name or not config:
        raise argparse.ArgumentTypeError(
            f'--model {spec!r}: expected NAME=CONFIG or NAME=CONFIG:CHECKPOINT'
        )
    return name, (config, weights or None)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        'model', help='config file, or model name of model-index.yml')
    parser.add_argument('--weights', help="the model's checkpoint")
    parser.add_argument(
        '--model',
        dest='more_models',
        type=parse_model,
        action='append',
        default=[],
        metavar='NAME=CONFIG[:CHECKPOINT]',
        help='another model for the dropdown (repeatable)')
    parser.add_argument(
        '--device', default='cpu', help='device, e.g. cpu or cuda:0')
    parser.add_argument(
        '--host', default='127.0.0.1', help='address to serve on')
    parser.add_argument('--port', type=int, default=7860, help='port')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    name = osp.splitext(osp.basename(args.model))[0]
    models = {name: (args.model, args.weights)}
    for more_name, spec in args.more_models:
        if more_name in models:
            raise SystemExit(f'--model {more_name}: the name is taken')
        models[more_name] = spec
    build_demo(models, args.device).launch(
        server_name=args.host,
        server_port=args.port,
        share=False,
        ssr_mode=False,  # no Node server: the page comes from Python
        mcp_server=False)


if __name__ == '__main__':
    main()
