# SimVG ViT-B/32 on RefCOCO, one stage, predicting with the token branch:
# the training of simvg_beit3-b32_spm_1xb32-30e_refcoco.py (one run trains
# both branches); at inference the decoder does not run.
_base_ = './simvg_beit3-b32_spm_1xb32-30e_refcoco.py'

model = dict(head=dict(predict_branch='token'))
