"""Faces and voices of real people (Deep Synthesis Provisions Arts 14, 17; PIPL Arts 28–29):
separate consents, the registry of protected voices and faces, and the embeddings that compare them."""
