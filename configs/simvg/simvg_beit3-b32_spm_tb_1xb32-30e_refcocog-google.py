# SimVG ViT-B/32 on RefCOCOg (google), one stage, predicting with the token
# branch: the training of simvg_beit3-b32_spm_1xb32-30e_refcocog-google.py.
_base_ = './simvg_beit3-b32_spm_1xb32-30e_refcocog-google.py'

model = dict(head=dict(predict_branch='token'))
