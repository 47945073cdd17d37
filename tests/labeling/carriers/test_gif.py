from hegui.labeling import read_label, write_label
from tests.labeling.carriers.harness import roundtrip, truncated
from tests.labeling.media import image, label, pixels


def test_roundtrip_static():
    roundtrip(image("GIF"), "a.gif", "gif", pixels)


def test_roundtrip_animated():
    import io

    from PIL import Image

    frames = [Image.new("P", (16, 16), i * 40) for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    roundtrip(buf.getvalue(), "a.gif", "gif", pixels)


def test_gif87a_upgraded():
    data = bytearray(image("GIF"))
    data[:6] = b"GIF87a"
    out = write_label(bytes(data), label())
    assert out[:6] == b"GIF89a" and read_label(out).label == label()


def test_truncated():
    truncated(image("GIF"), "a.gif", cut=20)
