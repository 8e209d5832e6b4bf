# SimVG ViT-B/32 on RefCOCO+ (unc), one stage, predicting with the token
# branch: the training of simvg_beit3-b32_spm_1xb32-30e_refcoco-plus.py.
_base_ = './simvg_beit3-b32_spm_1xb32-30e_refcoco-plus.py'

model = dict(head=dict(predict_branch='token'))
