-- wrk script: POST a 10 KiB body (10240 bytes) to the URL given on the command line.
-- wrk adds the Content-Length header itself.
wrk.method = "POST"
wrk.body = string.rep("x", 10240)
wrk.headers["Content-Type"] = "application/octet-stream"
