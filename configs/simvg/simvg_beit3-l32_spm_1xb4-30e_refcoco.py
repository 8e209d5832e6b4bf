# SimVG ViT-L/32 on RefCOCO (unc), one stage: the official
# configs/single/ViT-large/refcoco/refcoco_onestage.py. Against ViT-B: 24
# layers of 1024 channels, the TB weighed 1 on the gt and 0.4 on the DB's
# box, 4 images per GPU. The official ViT-L configs pass the drop-path rate
# under a misspelt keyword, so BEiT-3 trained without stochastic depth:
# drop_path_rate=0 here. 683M parameters: the ``_deepspeed-zero3`` and
# ``_fsdp-blocks`` variants shard them.
_base_ = './simvg_beit3-b32_spm_1xb32-30e_refcoco.py'

model = dict(
    backbone=dict(
        arch='large',
        drop_path_rate=0.,
        init_cfg=dict(checkpoint='pretrained/beit3_large_patch16_224.pth')),
    head=dict(
        in_channels=1024,
        branch_loss_weights=dict(decoder=1., token=1., distill=0.4)))
train_dataloader = dict(batch_size=4)
val_dataloader = dict(batch_size=4)
test_dataloader = val_dataloader
auto_scale_lr = dict(base_batch_size=4)
