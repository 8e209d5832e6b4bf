# The official `lavt_one` trained with a multi-class Dice loss.
_base_ = './lavt-one_swin-b_bert-base_8xb4-40e_refcoco-plus.py'

model = dict(
    head=dict(
        loss_ce=None,
        loss_dice=dict(
            type='DiceLoss',
            use_sigmoid=True,
            activate=False,
            naive_dice=True,
            loss_weight=1.0)))
