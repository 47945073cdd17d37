"""The request pipeline, one module per step, data flowing one way:

identity → input moderation → upstream → output moderation → labeling → records.
"""
