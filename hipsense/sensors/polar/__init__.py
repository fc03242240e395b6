"""The Polar family (Verity Sense, H10) over Polar Measurement Data: the
frame and control-point codec (:mod:`.codec`), the stream decoder
(:mod:`.stream`) and the driver (:mod:`.driver`)."""
