#!/usr/bin/python3
# A real RTSP server for integration tests: GStreamer's RTSP server (Debian's
# gir1.2-gst-rtsp-server-1.0) serving a live H.264 stream (x264enc) at
# rtsp://127.0.0.1:PORT/cam. Usage: rtsp_server.py PORT [WIDTHxHEIGHT] (PORT 0:
# any free port). Prints "rtsp server ready on port N" to stderr once listening.
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main():
    port = sys.argv[1] if len(sys.argv) > 1 else "0"
    width, height = (sys.argv[2].split("x") if len(sys.argv) > 2 else ("640", "360"))
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    # A still test card: nothing in it moves, so no detector has anything to find.
    factory.set_launch(
        "( videotestsrc is-live=true pattern=smpte75 ! "
        f"video/x-raw,width={width},height={height},framerate=25/1 ! "
        "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 ! "
        "rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    factory.set_shared(True)
    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        print("rtsp server: cannot listen on port " + port, file=sys.stderr, flush=True)
        sys.exit(1)
    print(f"rtsp server ready on port {server.get_bound_port()}", file=sys.stderr, flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
