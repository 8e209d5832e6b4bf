# The architecture of bert-base-uncased. Model configs give it as the text
# encoder's ``config`` beside ``pretrained``: the model then builds without
# the weights (config tests, converters), and ``init_weights`` loads them
# from the local directory.
bert_base = dict(
    vocab_size=30522,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    max_position_embeddings=512,
    type_vocab_size=2)
