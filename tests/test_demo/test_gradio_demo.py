# Copyright (c) mmvg contributors. All rights reserved.
"""The web demo, served on localhost and driven in a real headless
Chromium (Debian's ``chromium``; ``.ci/run`` installs it)."""
import contextlib
import importlib.util
import json
import os
import os.path as osp
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import cv2
import gradio as gr
import numpy as np
import pytest

from mmvg.apis import VGInferencer
from mmvg.testing import (free_port, get_resource_dir, quick_start_checkpoint,
                          shapes_image)
from mmvg.visualization import expression_colors

QUICK_START = 'vltvg/vltvg_r18-tiny_bert-tiny_1xb32-2500i_synthetic.py'
TEXTS = ['the red circle', 'the blue square']
CHROMIUM = '/usr/bin/chromium'
# Headless, and nothing of Chromium's own traffic (sync, updates, QUIC).
CHROMIUM_ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
    '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'
]
SERVER_START_S = 120  # imports torch, mmdet and gradio on 2 busy cores
GROUNDING_S = 60  # builds the model, then grounds


def load_demo():
    spec = importlib.util.spec_from_file_location(
        'gradio_demo', osp.join(get_resource_dir('demo'), 'gradio_demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def quick_start(tmp_path_factory):
    """The VLTVG quick-start config, a checkpoint of its randomly
    initialised model and a shapes image (PNG: the browser sends it as
    it is)."""
    root = tmp_path_factory.mktemp('demo')
    config_file, checkpoint = quick_start_checkpoint(QUICK_START, str(root))
    return config_file, checkpoint, shapes_image(str(root / 'shapes.png'))


class ConnectionRecorder:
    """A stand-in HTTP(S) proxy that records the first line of every
    request sent to it and answers none: the demo's server gets it as
    its proxy, so any request it makes beyond localhost lands here."""

    def __init__(self) -> None:
        self._sock = socket.create_server(('127.0.0.1', 0))
        self.url = f'http://127.0.0.1:{self._sock.getsockname()[1]}'
        self.requests = []
        threading.Thread(target=self._record, daemon=True).start()

    def _record(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:  # closed
                return
            with conn:
                conn.settimeout(5)
                try:
                    line = conn.recv(1024).split(b'\r\n')[0]
                    self.requests.append(line.decode(errors='replace'))
                except OSError:
                    self.requests.append('<a connection without request>')

    def close(self) -> None:
        self._sock.close()


def wait_until_serving(url: str, server: subprocess.Popen, log: str) -> None:
    """Return once ``url`` answers 200; fail if the server exits first."""
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            with open(log) as f:
                pytest.fail(f'The demo exited ({server.returncode}):\n'
                            f'{f.read()[-3000:]}')
        with contextlib.suppress(OSError):
            with no_proxy.open(url, timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.5)
    pytest.fail(f'The demo did not serve {url} in {SERVER_START_S} s')


@contextlib.contextmanager
def demo_server(args, proxy_url: str, log: str):
    """Run ``demo/gradio_demo.py ARGS`` on a free port; yield its URL."""
    port = free_port()
    env = dict(
        os.environ,
        HTTP_PROXY=proxy_url,
        HTTPS_PROXY=proxy_url,
        ALL_PROXY=proxy_url,
        NO_PROXY='127.0.0.1,localhost')
    script = osp.join(get_resource_dir('demo'), 'gradio_demo.py')
    with open(log, 'w') as out:
        server = subprocess.Popen(
            [sys.executable, script, *args, '--port',
             str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env)
    try:
        url = f'http://127.0.0.1:{port}'
        wait_until_serving(url + '/', server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_browser_grounds_two_expressions(quick_start, tmp_path):
    sync_api = pytest.importorskip(
        'playwright.sync_api', reason='the browser test needs playwright')
    if not osp.isfile(CHROMIUM):
        pytest.skip(f'the browser test needs {CHROMIUM} '
                    '(apt-get install chromium)')
    config_file, checkpoint, img_file = quick_start
    args = [
        config_file, '--weights', checkpoint, '--model',
        f'second={config_file}:{checkpoint}'
    ]
    proxy = ConnectionRecorder()
    outside = []  # what the page asked of any other host
    try:
        with demo_server(args, proxy.url, str(tmp_path / 'demo.log')) as url, \
                sync_api.sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(tmp_path / 'profile'),
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                headless=True)

            def refuse(route):
                outside.append(route.request.url)
                route.abort()

            try:
                context.route(lambda u: not u.startswith(url + '/'), refuse)
                # The JSON panel's copy button writes the clipboard.
                context.grant_permissions(
                    ['clipboard-read', 'clipboard-write'], origin=url)
                picture, predictions = ground_in_page(sync_api,
                                                      context.new_page(), url,
                                                      img_file)
            finally:
                context.close()
    finally:
        proxy.close()

    # The picture: the shapes image under a legend band listing the two
    # expressions, each with its colour's swatch; boxes drawn on it.
    image = cv2.imread(img_file)[..., ::-1]
    height, width = image.shape[:2]
    assert picture.shape[1] == width and picture.shape[0] > height
    band, drawn = picture[:-height], picture[-height:]
    assert np.abs(drawn.astype(int) - image).max() > 50
    for color in expression_colors(len(TEXTS)):
        assert (band == color).all(axis=-1).sum() > 4, color
    # The JSON: the chosen model's predictions, as the Python API gives
    # them for the same image.
    assert predictions['model'] == 'second'
    expected = VGInferencer(
        config_file, weights=checkpoint,
        device='cpu')(img_file, TEXTS)['predictions'][0]['expressions']
    assert [e['text'] for e in predictions['expressions']] == TEXTS
    for got, want in zip(predictions['expressions'], expected):
        assert np.asarray(got['bboxes']).shape == (1, 4)
        np.testing.assert_allclose(got['bboxes'], want['bboxes'], atol=1e-4)
        np.testing.assert_allclose(got['scores'], want['scores'], atol=1e-5)
    # Nothing left localhost: not the page, not the server.
    assert outside == []
    assert proxy.requests == []


def ground_in_page(sync_api, page, url: str, img_file: str):
    """Upload the image, ask with no expression (an error shows), then
    with two on the second model; return the picture (RGB) and the JSON
    the page shows."""
    expect = sync_api.expect
    page.goto(url)
    page.locator('#image input[type=file]').set_input_files(img_file)
    ground = page.get_by_role('button', name='Ground')
    ground.click()
    expect(page.locator('.toast-body')).to_contain_text('No expression')
    page.locator('#expressions textarea').fill('\n'.join(TEXTS))
    page.get_by_role('combobox', name='Model').click()
    page.get_by_role('option', name='second').click()
    ground.click()
    expect(page.locator('#predictions')).to_contain_text(
        TEXTS[-1], timeout=GROUNDING_S * 1000)
    img = page.locator('#picture img')
    expect(img).to_have_attribute('src', re.compile(f'^{url}/'))
    response = page.request.get(img.get_attribute('src'))
    assert response.ok, response.status
    picture = cv2.imdecode(
        np.frombuffer(response.body(), np.uint8), cv2.IMREAD_COLOR)
    page.locator('#predictions').get_by_role('button', name='Copy').click()
    predictions = json.loads(page.evaluate('navigator.clipboard.readText()'))
    return picture[..., ::-1], predictions


def test_bad_input(quick_start, tmp_path):
    config_file, checkpoint, img_file = quick_start
    demo = load_demo()
    # Models are built on first use: a bad one fails when chosen, on the
    # page, naming its file.
    service = demo.GroundingService({
        'tiny': (config_file, checkpoint),
        'broken': (str(tmp_path / 'no_config.py'), None)
    })
    upload = dict(path=img_file, orig_name='shapes.png')
    with pytest.raises(gr.Error, match='No image'):
        service.ground(None, TEXTS[0], 'tiny', 0.3)
    for text in ('', ' \n \n'):
        with pytest.raises(gr.Error, match='No expression'):
            service.ground(upload, text, 'tiny', 0.3)
    bad_file = tmp_path / 'upload.jpg'
    bad_file.write_bytes(b'not an image')
    with pytest.raises(gr.Error, match='uploaded image holiday.jpg'):
        service.ground(
            dict(path=str(bad_file), orig_name='holiday.jpg'), TEXTS[0],
            'tiny', 0.3)
    with pytest.raises(gr.Error, match='no_config.py'):
        service.ground(upload, TEXTS[0], 'broken', 0.3)
    with pytest.raises(gr.Error, match="Unknown model 'other'.*tiny"):
        service.ground(upload, TEXTS[0], 'other', 0.3)
    # One inferencer per model, kept.
    assert service.inferencer('tiny') is service.inferencer('tiny')


def test_command_line():
    demo = load_demo()
    args = demo.parse_args([
        'a.py', '--weights', 'a.pth', '--model', 'b=b.py:b.pth', '--model',
        'c=c.py', '--port', '7000'
    ])
    assert (args.model, args.weights, args.port) == ('a.py', 'a.pth', 7000)
    assert args.more_models == [('b', ('b.py', 'b.pth')),
                                ('c', ('c.py', None))]
    for spec in ('b.py', '=b.py', 'b='):
        with pytest.raises(SystemExit):
            demo.parse_args(['a.py', '--model', spec])
