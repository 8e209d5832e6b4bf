# ALVG ViT-L/32 on RefCOCO (unc), boxes and masks (REC + RES): the official
# configs/single/ViT-large/refcoco/refcoco.py. Against ViT-B: 24 layers of
# 1024 channels, score attention weighed 32, lr x0.1 from epochs 21 and 27
# (indices 20 and 26), 4 images per GPU. The official ViT-L configs pass
# the drop-path rate under a misspelt keyword, so BEiT-3 trained without
# stochastic depth: drop_path_rate=0 here. 683M parameters: the
# ``_deepspeed-zero3`` and ``_fsdp`` variants shard them.
_base_ = './alvg_beit3-b32_spm_res_1xb32-30e_refcoco.py'

model = dict(
    backbone=dict(
        arch='large',
        drop_path_rate=0.,
        init_cfg=dict(
            checkpoint='pretrained/beit3_large_indomain_patch16_224.pth')),
    head=dict(in_channels=1024, score_attn_loss_weight=32.))
train_dataloader = dict(batch_size=4)
val_dataloader = dict(batch_size=4)
test_dataloader = val_dataloader
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.25,
        end_factor=1.0,
        by_epoch=True,
        begin=0,
        end=3),
    dict(
        type='MultiStepLR',
        milestones=[20, 26],
        gamma=0.1,
        by_epoch=True,
        begin=0,
        end={{_base_.max_epochs}})
]
auto_scale_lr = dict(base_batch_size=4)
