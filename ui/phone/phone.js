// The phone page script (see ui/phone/index.html).
