# Copyright (c) mmvg contributors. All rights reserved.
from typing import Dict, List, Tuple

from mmengine.structures import InstanceData
from torch import Tensor

from mmvg.registry import MODELS
from .base_vg_head import BaseVGHead, first_gt_boxes


@MODELS.register_module()
class BoxMapHead(BaseVGHead):
    """Supervise a per-position score map of the grounder with the gt box
    (a training-only auxiliary head without parameters).

    VLTVG's verification scores learn from the box loss alone in the paper,
    starting from DETR weights; from scratch this gives them a direct
    signal (``configs/vltvg/README.md``).

    Args:
        score_key (str): The entry of the grounder's features holding the
            (N, H*W, 1) scores; its map shape is ``feats['hw_shape']``.
            Defaults to ``'verify_scores'``.
        loss_map (dict): The loss, e.g. :class:`BoxMapLoss`.
        init_cfg (dict, optional): The initialization config.
    """

    predicts = False

    def __init__(self,
                 score_key: str = 'verify_scores',
                 loss_map: dict = dict(type='BoxMapLoss', loss_weight=1.0),
                 init_cfg: dict = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.score_key = score_key
        self.loss_map = MODELS.build(loss_map)

    def forward(self, feats: Dict[str, Tensor]) -> Tuple[Tensor]:
        """The score map.

        Returns:
            tuple[Tensor]: (N, 1, H, W) scores.
        """
        h, w = feats['hw_shape']
        scores = feats[self.score_key]
        return (scores.transpose(1, 2).unflatten(2, (h, w)), )

    def loss_by_feat(self, score_map: Tensor,
                     batch_gt_instances: List[InstanceData],
                     batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """The loss of the map against the first gt box.

        Returns:
            dict[str, Tensor]: ``loss_map``.
        """
        boxes = first_gt_boxes(batch_gt_instances, batch_img_metas,
                               type(self).__name__).to(score_map.device)
        return dict(
            loss_map=self.loss_map(score_map[:, 0].flatten(1), boxes,
                                   score_map.shape[-2:]))
