#!/usr/bin/python3
# A real RTSP server for integration tests: GStreamer's RTSP server (Debian's
# gir1.2-gst-rtsp-server-1.0) serving live H.264 (x264enc).
#
#   rtsp_server.py PORT [WIDTHxHEIGHT]
#       a still test card at rtsp://127.0.0.1:PORT/cam
#   rtsp_server.py PORT --file VIDEO.avi --mount NAME=WIDTHxHEIGHT [--mount ...]
#       an MJPEG AVI played in real time, once per session, re-encoded at each
#       mount's size: an NVR's main stream and sub-stream of one camera
#
# PORT 0: any free port. Prints "rtsp server ready on port N" to stderr once
# listening.
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

ENCODE = ("x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 ! "
          "rtph264pay name=pay0 pt=96 config-interval=1")


def size(text):
    w, h = text.split("x")
    return int(w), int(h)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port")
    ap.add_argument("size", nargs="?", default="640x360")
    ap.add_argument("--file")
    ap.add_argument("--mount", action="append", default=[])
    args = ap.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(args.port)
    mounts = server.get_mount_points()
    if args.file is None:
        w, h = size(args.size)
        # A still test card: nothing in it moves, so no detector has anything to find.
        launch = (f"( videotestsrc is-live=true pattern=smpte75 ! "
                  f"video/x-raw,width={w},height={h},framerate=25/1 ! {ENCODE} )")
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch)
        factory.set_shared(True)
        mounts.add_factory("/cam", factory)
    else:
        for m in args.mount or ["cam=640x360"]:
            name, dims = m.split("=")
            w, h = size(dims)
            launch = (f"( filesrc location={args.file} ! avidemux ! jpegdec ! videoconvert ! "
                      f"videoscale ! video/x-raw,width={w},height={h} ! {ENCODE} )")
            factory = GstRtspServer.RTSPMediaFactory()
            factory.set_launch(launch)
            factory.set_shared(True)
            mounts.add_factory("/" + name, factory)
    if server.attach(None) == 0:
        print("rtsp server: cannot listen on port " + args.port, file=sys.stderr, flush=True)
        sys.exit(1)
    print(f"rtsp server ready on port {server.get_bound_port()}", file=sys.stderr, flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
