"""The demand side: consumers, their generations, their choices and their social network."""
