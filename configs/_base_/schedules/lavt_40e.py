# LAVT's optimiser (official train.py) on schedule_40e_poly.py: no weight
# decay on norms, relative position tables and absolute position
# embeddings; BERT's embeddings and last two layers are not updated.
_base_ = './schedule_40e_poly.py'

optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'norm': dict(decay_mult=0.),
            'relative_position_bias_table': dict(decay_mult=0.),
            'absolute_pos_embed': dict(decay_mult=0.),
            'text_encoder.bert.embeddings.': dict(lr_mult=0.),
            'text_encoder.bert.encoder.layer.10.': dict(lr_mult=0.),
            'text_encoder.bert.encoder.layer.11.': dict(lr_mult=0.),
        }))
