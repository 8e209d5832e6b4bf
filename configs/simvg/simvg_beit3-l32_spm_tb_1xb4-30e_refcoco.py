# SimVG ViT-L/32 on RefCOCO, one stage, predicting with the token branch:
# the training of simvg_beit3-l32_spm_1xb4-30e_refcoco.py.
_base_ = './simvg_beit3-l32_spm_1xb4-30e_refcoco.py'

model = dict(head=dict(predict_branch='token'))
